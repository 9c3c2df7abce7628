// A Node.js client of `coach serve --stdio`: one JSON request per line in, one response
// per line out, answered in order. Plain Node (v16+), no npm packages.
//
//     node examples/node_client.js          # runs `python3 -m coach serve --stdio`
//     PYTHON=/path/to/python node examples/node_client.js
"use strict";

const { spawn } = require("node:child_process");
const readline = require("node:readline");

function main() {
  const python = process.env.PYTHON || "python3";
  const coach = spawn(python, ["-m", "coach", "serve", "--stdio"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting = []; // resolvers, in the order the requests were sent
  readline.createInterface({ input: coach.stdout }).on("line", (line) => {
    const resolve = waiting.shift();
    if (resolve) resolve(JSON.parse(line));
  });
  const sendLine = (line) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      coach.stdin.write(line + "\n");
    });
  const send = (request) => sendLine(JSON.stringify(request));

  (async () => {
    const replies = [
      await send({ id: "chat-42", customer: "太贵了", customer_name: "李总" }),
      await send({ id: "chat-42", customer: "是的" }),
      await send({ id: "chat-42", salesperson: "您目前是怎么解决这个问题的？" }),
      await sendLine("this is not json"), // an error object comes back; the service goes on
      await send({ id: "chat-42", state: true }),
      await send({ id: "chat-42", reset: true }),
    ];
    for (const reply of replies) {
      if (reply.error) console.log(`error ${reply.error.code}: ${reply.error.message}`);
      else if (reply.text) console.log(`[${reply.step}] ${reply.text}  (signals: ${reply.signals.join(", ")})`);
      else if (reply.question_type) console.log(`feedback: ${reply.question_type} question, fits step: ${reply.fits_step}`);
      else if (reply.state !== undefined) console.log(`state: turn ${reply.state.turn}, step ${reply.state.step}`);
      else console.log(JSON.stringify(reply));
    }
    coach.stdin.end();
  })();
  coach.on("exit", (code) => {
    process.exitCode = code ?? 1;
  });
}

main();
