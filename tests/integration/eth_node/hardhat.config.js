// Hardhat Network for `hardhat node`, started by tests/integration/lib_eth_node.sh from the
// directory npm installed this package into (the build tree): chain 31337 at the Prague fork
// (EIP-7702), a block for every transaction, and the 20 well-known accounts of Hardhat's
// default mnemonic, each with 10000 ETH. Nothing here compiles Solidity: the tests compile
// with the npm solc package (compile.js), so Hardhat never looks for a compiler.
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'prague',
      mining: { auto: true, interval: 0 },
      accounts: {
        mnemonic: 'test test test test test test test test test test test junk',
        path: "m/44'/60'/0'/0",
        count: 20,
        accountsBalance: '10000000000000000000000',
      },
      loggingEnabled: true,
    },
  },
};
