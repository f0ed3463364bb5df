/**
 * `GET /v1/events?channel=…` reads the channel as every other route does (sixth read of issue 12, L5):
 * the filter was compared byte for byte with the events' spelling, so `Circle:friends`, `circle: my
 * friends` or `Lobby` got a stream that never carried a post (no error either), and a circle this node
 * does not hold got an empty stream instead of a 404. Now `circle:NAME` goes through circleOfChannel and
 * a public name through the protocol's channelName.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiRequest } from '../src/api-request.js'
import { createControlServer } from '../src/daemon/server.js'
import { stubNode } from './stub-node.js'
import type { ControlServer } from '../src/daemon/server.js'
import type { Murmur, PostView } from '@murmur/node'

// read from package.json two levels above dist/src, which the sources are not
vi.mock('../src/version.js', () => ({ VERSION: '0.0.0-test' }))

/** A post of `channel` with id `id` (only what the stream carries matters here). */
const post = (id: string, channel: string): PostView => ({ id, channel, kind: 'POST', body: id }) as unknown as PostView

describe('the events stream\'s channel filter', () => {
  let dir: string
  let node: Murmur
  let api: ControlServer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-events-'))
    node = stubNode({ circles: { list: () => [{ name: 'friends' }, { name: 'my friends' }] } })
    api = await createControlServer({ node, socket: join(dir, 'api.sock') })
  })

  afterAll(async () => {
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const request = async (channel: string): Promise<Response> => {
    const path = `/v1/events?${new URLSearchParams({ channel }).toString()}`
    return apiRequest(api.address, { method: 'GET', path, headers: { authorization: `Bearer ${api.token}`, host: 'localhost', accept: 'text/event-stream' } })
  }

  /**
   * The ids of the posts a stream filtered by `channel` carries when one post of each target is
   * announced. A status event, which every stream carries, follows them: the stream is read up to it
   * (events keep their order), so a filter that lets nothing through ends the read too.
   */
  const carried = async (channel: string): Promise<string[]> => {
    const res = await request(channel)
    expect(res.status).toBe(200)
    const events = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
    expect((await events.read()).value?.event).toBe('status') // the stream is open: what follows is filtered
    for (const target of ['#lobby', '#other', 'circle:friends', 'circle:my friends']) {
      if (target.startsWith('circle:')) {
        node.dispatchEvent(new CustomEvent('circle-post', { detail: { circle: target.slice('circle:'.length), post: post(target, 'circle:00') } }))
      } else {
        node.dispatchEvent(new CustomEvent('post', { detail: post(target, target) }))
      }
    }
    node.dispatchEvent(new CustomEvent('clock-skew'))
    const ids: string[] = []
    for (;;) {
      const { value, done } = await events.read()
      if (done === true || value.event === 'status') break
      if (value.event === 'post') ids.push((JSON.parse(value.data) as PostView).id)
    }
    await events.cancel()
    return ids
  }

  it('takes a circle as every route does: the prefix in any case, spaces around the name (failed: no post came)', async () => {
    for (const spelling of ['circle:friends', 'Circle:friends', 'CIRCLE: friends ', ' circle:friends']) {
      expect(await carried(spelling), spelling).toEqual(['circle:friends'])
    }
    expect(await carried('circle: my friends')).toEqual(['circle:my friends'])
  })

  it('takes a public channel by the protocol\'s rule: Lobby is #lobby (failed: no post came)', async () => {
    for (const spelling of ['#lobby', 'lobby', 'Lobby', '#LOBBY', ' lobby ']) {
      expect(await carried(spelling), spelling).toEqual(['#lobby'])
    }
  })

  it('answers 404 for a circle this node does not hold and 400 for a bad name, as the other routes (failed: 200 and an empty stream)', async () => {
    const unknown = await request('circle:strangers')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { code: 'ERR_CIRCLE_UNKNOWN' } })
    const bad = await request('Random Stuff')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { name: 'InvalidChannelError', code: 'ERR_BAD_CHANNEL' } })
  })
})
