// vitest setupFiles: libsodium is initialised before every test file, as createMurmur, the CLI, the
// browser page and the verification workers do (@murmur/protocol has no top-level await). Two copies of
// the protocol module are loaded in tests, the built one (dist, through '@murmur/protocol') and the
// source one (packages/protocol/test imports ../src), and each keeps its own readiness.
import { ready } from '@murmur/protocol'
import { ready as readySource } from '../packages/protocol/src/sodium.ts'

await Promise.all([ready(), readySource()])
