/**
 * `murmur circle join` takes the page's join link (`https://…/#join=MURMUR:CIRCLE:…`, as the page prints
 * it) as well as a bare invite (issue 15): the invite is read from the fragment, the link's address is
 * never contacted, and a link without an invite is refused as a damaged invite is (ERR_INVITE_FORMAT,
 * exit code 8, see cli-circle-invite) before any daemon is asked.
 */
import { existsSync } from 'node:fs'
import { encodeInvite, generateCircleSecret, generateInviteSeed, generateMemberKeys, ready } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inviteOfInput } from '../packages/cli/src/invite-input.ts'
import { Sandbox } from './cli-harness.ts'

describe('murmur circle join with a join link', () => {
  let sandbox: Sandbox
  let invite: string

  beforeAll(async () => {
    await ready()
    sandbox = await Sandbox.create()
    invite = encodeInvite({
      secret: generateCircleSecret(),
      generation: 0,
      owner: generateMemberKeys().ring.publicKey,
      inviteSeed: generateInviteSeed(),
      minRing: 3,
      name: 'book club',
      hints: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo']
    })
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('reads the invite of a link as the page prints it, wrapped or not, and a bare invite as it is', () => {
    expect(inviteOfInput(`https://murmur.example/app/#join=${invite}`)).toBe(invite)
    expect(inviteOfInput(`  https://murmur.example/#join=${invite.slice(0, 40)}\n${invite.slice(40)}\n`)).toBe(invite)
    expect(inviteOfInput(`http://127.0.0.1:8080/?lang=en#x=1&join=${invite}`)).toBe(invite)
    expect(inviteOfInput(invite)).toBe(invite)
    expect(inviteOfInput(` ${invite.toLowerCase()} `)).toBe(` ${invite.toLowerCase()} `)
    for (const link of ['https://murmur.example/app/', 'https://murmur.example/#join=', `https://murmur.example/?join=${invite}`]) {
      expect(() => inviteOfInput(link), link).toThrow(expect.objectContaining({ name: 'InvalidInviteError', code: 'ERR_INVITE_FORMAT' }) as Error)
    }
  })

  it('the built CLI takes a link (on the old CLI: exit 8, not an invite)', async () => {
    const dataDir = sandbox.dir('nobody')
    // no daemon runs: a link read right gets as far as asking for one (exit 3)
    const link = await sandbox.run(['circle', 'join', `https://murmur.example/app/#join=${invite}`, '--data-dir', dataDir])
    expect(link.code, link.stderr).toBe(3)
    expect(existsSync(dataDir)).toBe(false)
  })
})
