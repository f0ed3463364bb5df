// Loaded with `node --import` into a CLI process by the tests (cli-harness.ts, clockShiftEnv): moves
// Date.now, which the node reads as its clock, by MURMUR_TEST_CLOCK_SHIFT seconds.
import process from 'node:process'

const shift = Number(process.env.MURMUR_TEST_CLOCK_SHIFT ?? '0') * 1000
const now = Date.now
Date.now = () => now() + shift
