import { describe, expect, it } from 'vitest'

describe('runtime', () => {
  it('runs on Node.js 22 or newer (the node@22 devDependency), as libp2p requires', () => {
    const major = Number(process.versions.node.split('.')[0])
    expect(major).toBeGreaterThanOrEqual(22)
  })
})
