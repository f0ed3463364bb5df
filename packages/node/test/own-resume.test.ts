/**
 * Review D of issue 12: an own post the node had sent into the stem before a restart is held again only
 * while it is fresh. A stem hop that stores a post never passes it on, so a post that spread long ago,
 * sent on by this node after a restart, could only be its own.
 */
import { logger } from '@libp2p/logger'
import { generateAuthorKey } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { FORWARD_STORED_MAX_AGE } from '../src/intake.js'
import { InStem } from '../src/in-stem.js'
import { OwnPosts } from '../src/own-posts.js'
import { memoryDatabase, post } from './store-fixtures.js'
import type { OwnPostsComponents } from '../src/own-posts.js'

/** Runs a restart's resendQueued over one own post sent into the stem `age` seconds after it was made. */
async function resumedAfter (age: number): Promise<number> {
  const db = memoryDatabase()
  const now = Math.floor(Date.now() / 1000)
  const own = post({ created: now - age, expires: now - age + 86_400 })
  const before = await InStem.open(db)
  await before.add(own)
  await before.sent(own.id)
  await before.flush()

  const inStem = await InStem.open(db)
  const unused = (): never => { throw new Error('not used by a restart') }
  // the post as its recorded envelope validates
  const intake = { ownEntry: (channel: string, envelope: Uint8Array) => channel === own.channel && envelope.length === own.envelope.length ? own : undefined }
  const components = {
    intake, direct: unused, outbound: { send: unused }, store: { has: async () => false }, reads: unused, inStem,
    channelOf: () => own.channel,
    join: async () => {},
    assertRunning: () => {},
    log: logger('murmur:test')
  } as unknown as OwnPostsComponents
  const posts = new OwnPosts(components, { powBits: { POST: 8, REPLY: 8, VOTE: 8 }, authorKey: generateAuthorKey() })
  let resumed = 0
  await posts.resendQueued({ resume: () => { resumed++ } })
  await db.close()
  return resumed
}

describe('own posts in the stem across a restart', () => {
  it('a fresh one is held again by the stem', async () => {
    expect(await resumedAfter(30)).toBe(1)
    expect(await resumedAfter(FORWARD_STORED_MAX_AGE - 5)).toBe(1)
  })

  it('one older than a fresh post\'s first spread is not sent on again: that would name its author', async () => {
    expect(await resumedAfter(FORWARD_STORED_MAX_AGE + 60)).toBe(0)
    expect(await resumedAfter(3_600)).toBe(0)
  })
})
