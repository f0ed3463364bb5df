/**
 * What `murmur circle join` accepts: an invite string, or the join link the page prints for it
 * (`https://…/#join=MURMUR:CIRCLE:…`). A link's invite is read from its fragment; the link's address is
 * never fetched nor dialed (joining needs no page), and its invite's hints are shown, dialed only on
 * `--dial-hint`, as a bare invite's are.
 */
import { InvalidInviteError } from '@murmur/protocol'

/** The fragment parameter of the page's join links (examples/browser/src/invite.ts). */
const JOIN_PARAM = 'join'

/** A URL with a scheme and an authority (`https://…`), which an invite (`MURMUR:CIRCLE:…`) is not. */
const LINK = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * The invite string the user gave: the text as it is, or the invite in a join link's fragment;
 * InvalidInviteError (`ERR_INVITE_FORMAT`) for a link that holds none.
 *
 * @example
 * ```ts
 * inviteOfInput('https://murmur.example/app/#join=MURMUR:CIRCLE:AEAA…') // 'MURMUR:CIRCLE:AEAA…'
 * inviteOfInput('MURMUR:CIRCLE:AEAA…') // 'MURMUR:CIRCLE:AEAA…'
 * ```
 */
export function inviteOfInput (text: string): string {
  // a link copied from a wrapped terminal or a chat may hold line breaks and spaces: an invite never does
  const compact = text.replace(/\s+/g, '')
  if (!LINK.test(compact)) return text
  const hash = compact.indexOf('#')
  const invite = hash < 0 ? null : new URLSearchParams(compact.slice(hash + 1)).get(JOIN_PARAM)
  if (invite === null || invite === '') {
    throw new InvalidInviteError('ERR_INVITE_FORMAT', `this link holds no invite: a join link ends in #${JOIN_PARAM}=MURMUR:CIRCLE:…`)
  }
  return invite
}
