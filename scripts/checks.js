#!/usr/bin/env node
// The static checks of `npm test`: the type check, ESLint and Prettier, side by side. Each is
// one process on one core, so together they take about as long as ESLint alone. Each one's
// output is printed whole when it ends; the run fails when any of them failed.
'use strict';

const { spawn } = require('node:child_process');
const { join } = require('node:path');

const bin = (name) => join(__dirname, '..', 'node_modules', '.bin', name);

const CHECKS = [
  ['typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  ['eslint', bin('eslint'), ['.', '--max-warnings', '0']],
  ['prettier', bin('prettier'), ['--check', '.']],
];

function run([name, command, args]) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: join(__dirname, '..') });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (err) => output.push(Buffer.from(`${err.message}\n`)));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const outcome = ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`;
      process.stdout.write(`\n> ${name}: ${outcome} in ${seconds} s\n`);
      const text = Buffer.concat(output).toString();
      if (text.trim() !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      resolve(ok);
    });
  });
}

Promise.all(CHECKS.map(run)).then((results) => {
  if (results.includes(false)) process.exitCode = 1;
});
