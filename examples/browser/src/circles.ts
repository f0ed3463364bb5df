/**
 * The circles panel: create a circle, make an invite (the string, a join link and its QR code, each with a
 * copy button), and join one from an invite, pasted or from a join link. Joining shows what the invite
 * holds first, its bootstrap hints included: whoever made the invite chose them, so they are shown and
 * never dialed (the tab keeps to its own relay; a crafted invite must not route it through an attacker's).
 * A damaged invite gives one line and changes nothing. The selected circle's members are listed below it
 * (members.ts), with a remove button for the owner.
 */
import { DEFAULT_CIRCLE_MIN_RING, MAX_RING_SIZE, MIN_CIRCLE_RING, decodeInvite, displayLine } from '@murmur/protocol'
import { CIRCLE_PREFIX, circleSummaryText } from './circle-text.js'
import { drawQr, forgetInviteFragment, inviteLink } from './invite.js'
import { membersList } from './members.js'
import type { MembersElements } from './members.js'
import type { Murmur } from '@murmur/node'
import type { CircleInvite } from '@murmur/protocol'

/** The panel's elements (index.html `#circles`). */
export interface CirclePanelElements {
  /** The selected circle in one line. */
  summary: HTMLElement
  makeInvite: HTMLButtonElement
  /** The invite made last: its text, link, QR code and copy buttons. */
  invite: HTMLElement
  inviteText: HTMLTextAreaElement
  inviteLink: HTMLInputElement
  inviteQr: SVGSVGElement
  inviteExpires: HTMLElement
  copyInvite: HTMLButtonElement
  copyLink: HTMLButtonElement
  copied: HTMLElement
  /** The `<details>` holding the create and join forms. */
  forms: HTMLDetailsElement
  createForm: HTMLFormElement
  nameInput: HTMLInputElement
  minRingInput: HTMLInputElement
  joinForm: HTMLFormElement
  joinInput: HTMLTextAreaElement
  memberName: HTMLInputElement
  /** What the invite being joined holds (filled as it is pasted). */
  joinDetails: HTMLElement
  /** One line: why the last create, join, invite or removal did nothing. */
  problem: HTMLElement
  /** The selected circle's members (members.ts). */
  members: MembersElements
}

/** What the panel needs from the page. */
export interface CirclePanelInit {
  node: Pick<Murmur, 'circles'>
  /** Hints put in the invites this tab makes: the relay it uses (a newcomer sees it, and may choose it). */
  hints: string[]
  /** This page's address (the base of join links). */
  pageUrl(): string
  /** The circle the feed shows, if it shows one. */
  selected(): string | undefined
  /** Shows a circle's feed (after it was created or joined, or a member removed). */
  select(name: string): void
  /** Asks the user to confirm (a member's removal). */
  confirm(question: string): boolean
}

/** What the page does with the panel. */
export interface CirclePanel {
  /** Draws the selected circle's line and buttons again (after a switch, a roster change). */
  draw(): void
  /** Offers to join a circle from an invite (a join link's): shown in the join form, joined only when the user says so. */
  offer(invite: string): void
}

/**
 * Wires the circles panel to the node.
 *
 * @example
 * ```ts
 * const panel = circlePanel(elements, { node, hints: [relay], pageUrl: () => location.href, selected, select })
 * const linked = inviteFromFragment(location.hash)
 * if (linked !== undefined) panel.offer(linked)
 * ```
 */
export function circlePanel (el: CirclePanelElements, init: CirclePanelInit): CirclePanel {
  const { node } = init
  el.minRingInput.min = String(MIN_CIRCLE_RING)
  el.minRingInput.max = String(MAX_RING_SIZE)
  el.minRingInput.placeholder = String(DEFAULT_CIRCLE_MIN_RING)
  let shownFor: string | undefined
  const members = membersList(el.members, {
    node,
    confirm: init.confirm,
    problem: (text) => { el.problem.textContent = text },
    removed: (name) => { init.select(name) }
  })

  const fail = (what: string, err: unknown): void => {
    const { message, code } = err as Error & { code?: unknown }
    el.problem.textContent = `${what}: ${displayLine(message)}${typeof code === 'string' ? ` (${code})` : ''}`
  }

  const draw = (): void => {
    const name = init.selected()
    const summary = name === undefined ? undefined : node.circles.list().find((c) => c.name === name)
    el.summary.hidden = summary === undefined
    el.makeInvite.hidden = summary === undefined || summary.removed === true
    el.summary.textContent = summary === undefined ? '' : circleSummaryText(summary)
    if (shownFor !== name) {
      el.invite.hidden = true
      shownFor = undefined
    }
    void members.draw(name)
  }

  el.makeInvite.onclick = () => {
    const name = init.selected()
    if (name === undefined) return
    el.problem.textContent = ''
    node.circles.invite(name, { hints: init.hints }).then(({ invite, expires }) => {
      const link = inviteLink(init.pageUrl(), invite)
      el.inviteText.value = invite
      el.inviteLink.value = link
      el.inviteExpires.textContent = new Date(expires * 1000).toLocaleString()
      el.copied.textContent = ''
      drawQr(el.inviteQr, link)
      el.invite.hidden = false
      shownFor = name
    }, (err: unknown) => { fail('no invite', err) })
  }
  el.copyInvite.onclick = () => { copy(el.inviteText, el.copied) }
  el.copyLink.onclick = () => { copy(el.inviteLink, el.copied) }

  el.createForm.onsubmit = (evt) => {
    evt.preventDefault()
    el.problem.textContent = ''
    const typed = el.minRingInput.value.trim()
    const minRing = typed === '' ? DEFAULT_CIRCLE_MIN_RING : Number(typed)
    node.circles.create(el.nameInput.value.trim(), { minRing }).then((summary) => {
      el.nameInput.value = ''
      init.select(summary.name)
    }, (err: unknown) => { fail('not created', err) })
  }

  el.joinInput.oninput = () => { describe(el.joinDetails, readInvite(el.joinInput.value)) }
  el.joinForm.onsubmit = (evt) => {
    evt.preventDefault()
    el.problem.textContent = ''
    // read here first: a damaged invite is one line, and nothing reaches the node
    try {
      decodeInvite(el.joinInput.value)
    } catch (err) {
      fail('not joined', err)
      return
    }
    const memberName = el.memberName.value.trim()
    node.circles.join(el.joinInput.value, memberName === '' ? {} : { memberName }).then((summary) => {
      el.joinInput.value = ''
      describe(el.joinDetails, undefined)
      forgetInviteFragment()
      init.select(summary.name)
    }, (err: unknown) => { fail('not joined', err) })
  }

  return {
    draw,
    offer: (invite) => {
      el.forms.open = true
      el.joinInput.value = invite
      el.problem.textContent = ''
      try {
        describe(el.joinDetails, decodeInvite(invite))
      } catch (err) {
        // a damaged link is said at once, in the one line a pasted invite gets
        describe(el.joinDetails, undefined)
        fail('the link\'s invite cannot be used', err)
      }
      el.joinForm.scrollIntoView({ block: 'nearest' })
    }
  }
}

/**
 * The panel's elements in the page (index.html `#circles`); throws when one is missing.
 *
 * @example
 * ```ts
 * const panel = circlePanel(circlePanelElements(), init)
 * ```
 */
export function circlePanelElements (): CirclePanelElements {
  const byId = <T extends Element = HTMLElement>(id: string): T => {
    const el = document.getElementById(id)
    if (el === null) throw new Error(`#${id} is missing from the page`)
    return el as unknown as T
  }
  return {
    summary: byId('circle-summary'),
    makeInvite: byId('make-invite'),
    invite: byId('invite'),
    inviteText: byId('invite-text'),
    inviteLink: byId('invite-link'),
    inviteQr: byId<SVGSVGElement>('invite-qr'),
    inviteExpires: byId('invite-expires'),
    copyInvite: byId('copy-invite'),
    copyLink: byId('copy-link'),
    copied: byId('invite-copied'),
    forms: byId('circle-forms'),
    createForm: byId('create-circle'),
    nameInput: byId('circle-name'),
    minRingInput: byId('circle-min-ring'),
    joinForm: byId('join-circle'),
    joinInput: byId('join-invite'),
    memberName: byId('join-member-name'),
    joinDetails: byId('join-details'),
    problem: byId('circle-problem'),
    members: { box: byId('circle-members'), count: byId('member-count'), list: byId('member-list') }
  }
}

/**
 * The circle a selector value names (`circle:NAME`), undefined for a channel.
 *
 * @example
 * ```ts
 * circleOf('circle:friends') // 'friends'
 * circleOf('#lobby') // undefined
 * ```
 */
export function circleOf (target: string): string | undefined {
  return target.startsWith(CIRCLE_PREFIX) ? target.slice(CIRCLE_PREFIX.length) : undefined
}

function readInvite (text: string): CircleInvite | undefined {
  try {
    return decodeInvite(text)
  } catch {
    // said when the user presses join; while typing, the details are only left empty
    return undefined
  }
}

/** Shows what an invite holds before joining: the name it suggests, its minimum ring, its hints (not dialed). */
function describe (details: HTMLElement, invite: CircleInvite | undefined): void {
  if (invite === undefined) {
    details.replaceChildren()
    return
  }
  const line = (text: string, className?: string): HTMLElement => {
    const p = document.createElement('p')
    p.textContent = text
    if (className !== undefined) p.className = className
    return p
  }
  const name = invite.name === '' ? '(no name suggested)' : `${CIRCLE_PREFIX}${displayLine(invite.name)}`
  const lines = [line(`an invite to ${name} · min ring ${invite.minRing}`)]
  if (invite.hints.length > 0) {
    lines.push(line(`it suggests ${invite.hints.length === 1 ? 'a peer' : `${invite.hints.length} peers`} to connect through, chosen by whoever made the invite:`))
    const list = document.createElement('ul')
    list.id = 'join-hints'
    list.append(...invite.hints.map((hint) => {
      const item = document.createElement('li')
      const code = document.createElement('code')
      code.textContent = displayLine(hint)
      item.append(code)
      return item
    }))
    lines.push(list, line('not connected: this tab keeps to its own relay (set in settings), so an invite cannot route you through a peer of its choosing', 'hint-note'))
  }
  details.replaceChildren(...lines)
}

/** Copies a field's text to the clipboard, or selects it for the user to copy when the page may not. */
function copy (field: HTMLInputElement | HTMLTextAreaElement, said: HTMLElement): void {
  navigator.clipboard.writeText(field.value).then(() => { said.textContent = 'copied' }, () => {
    field.select()
    said.textContent = 'selected: copy it with Ctrl+C (⌘C)'
  })
}
