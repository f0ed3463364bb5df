import { describe, expect, it } from 'vitest'
import { messageId } from '@murmur/protocol'
import { InStem } from '../src/in-stem.js'
import { recordedFirst } from '../src/outbound.js'
import { memoryDatabase } from './store-fixtures.js'
import type { NewInStemPost } from '../src/in-stem.js'

const id = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
/** A record of own post `id`, its envelope a few bytes naming it. */
const own = (postId: Uint8Array, expires: number): NewInStemPost => ({ id: postId, expires, channel: '#in-stem', envelope: new Uint8Array([9, postId[0]!, 9]) })

describe('own posts not yet back from the network', () => {
  it('survive a reopen: queued ones are listed to be sent again, sent ones are only withheld', async () => {
    const db = memoryDatabase()
    const now = Math.floor(Date.now() / 1000)
    const first = await InStem.open(db)
    await first.add(own(id(1), now + 3600))
    await first.add(own(id(2), now + 3600))
    await first.add(own(id(3), now + 3600))
    await first.sent(id(2))
    first.arrived(id(3))
    await first.flush()

    const again = await InStem.open(db)
    expect(again.has(id(1))).toBe(true)
    expect(again.has(id(2))).toBe(true)
    expect(again.has(id(3))).toBe(false)
    expect(again.queued().map((post) => post.id[0])).toEqual([1])
    expect(again.inTransit().map((post) => post.id[0])).toEqual([2])
    // the post itself is kept in the record (it is not in the post store until it comes back)
    expect(again.get(id(2))).toMatchObject({ channel: '#in-stem', envelope: new Uint8Array([9, 2, 9]) })
    expect(again.pending().map((post) => post.id[0]).sort()).toEqual([1, 2])
  })

  it('sent() resolves once the record is on disk: a crash right after the stem send cannot restart the post as queued', async () => {
    const db = memoryDatabase()
    const now = Math.floor(Date.now() / 1000)
    const inStem = await InStem.open(db)
    await inStem.add(own(id(1), now + 3600))
    // a slow disk: every write (the sublevel's go through its parent) lands 50 ms late
    const put = db.put.bind(db) as (...args: unknown[]) => Promise<void>
    db.put = (async (...args: unknown[]) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      await put(...args)
    }) as typeof db.put
    await inStem.sent(id(1))
    const records = db.sublevel<Uint8Array, Uint8Array>('own-pending', { keyEncoding: 'view', valueEncoding: 'view' })
    // what a restart would read now, with no flush (the process died)
    const record = await records.get(id(1))
    expect(record?.[8]).toBe(1)

    // the stem's release records the post before it hands it on
    const envelope = new Uint8Array([7])
    const postId = messageId('murmur/2/#x', envelope)
    await inStem.add(own(postId, now + 3600))
    const states: Array<number | undefined> = []
    const release = recordedFirst(async () => {
      states.push((await records.get(postId))?.[8])
      return { status: 'sent', recipients: 1 }
    }, async (sent) => inStem.sent(sent))
    await release('murmur/2/#x', envelope, now + 3600)
    expect(states).toEqual([1])
  })

  it('forgets expired posts and broken records when it opens', async () => {
    const db = memoryDatabase()
    const now = Math.floor(Date.now() / 1000)
    const first = await InStem.open(db)
    await first.add(own(id(1), now - 1))
    await first.add(own(id(2), now + 3600))
    await db.sublevel<Uint8Array, Uint8Array>('own-pending', { keyEncoding: 'view', valueEncoding: 'view' }).put(id(4), new Uint8Array([1, 2]))

    const again = await InStem.open(db)
    await again.flush()
    expect(again.has(id(1))).toBe(false)
    expect(again.has(id(4))).toBe(false)
    expect(again.queued().map((post) => post.id[0])).toEqual([2])
    const keys: number[] = []
    for await (const key of db.sublevel<Uint8Array, Uint8Array>('own-pending', { keyEncoding: 'view', valueEncoding: 'view' }).keys()) keys.push(key[0]!)
    expect(keys).toEqual([2])
  })
})
