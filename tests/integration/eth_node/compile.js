// node compile.js FILE.sol [CONTRACT] [OUT.json]: compiles FILE.sol with the npm solc package
// (solc-js, the compiler itself in WebAssembly: nothing is downloaded) through its standard
// JSON interface, for the Prague EVM with the optimizer, and writes
// {"contract", "abi", "bytecode", "solc"} to OUT.json or stdout. CONTRACT defaults to the
// file's base name. Imports are refused (the contracts of the tests are single files).
// Exit 1 with the compiler's messages on any error.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const [file, contractArg, out] = process.argv.slice(2);
if (!file) {
  console.error('usage: node compile.js FILE.sol [CONTRACT] [OUT.json]');
  process.exit(2);
}
const unit = path.basename(file);
const contract = contractArg || path.basename(file, '.sol');
const input = {
  language: 'Solidity',
  sources: { [unit]: { content: fs.readFileSync(file, 'utf8') } },
  settings: {
    evmVersion: 'prague',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const refuseImport = (p) => ({ error: `imports are not supported here: ${p}` });
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: refuseImport }));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage || e.message);
if (errors.length) process.exit(1);
const c = output.contracts && output.contracts[unit] && output.contracts[unit][contract];
if (!c || !c.evm.bytecode.object) {
  console.error(`no contract ${contract} in ${file}`);
  process.exit(1);
}
const result = JSON.stringify({
  contract,
  abi: c.abi,
  bytecode: '0x' + c.evm.bytecode.object,
  solc: solc.version(),
});
if (out) fs.writeFileSync(out, result + '\n');
else process.stdout.write(result + '\n');
