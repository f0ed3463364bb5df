/**
 * The Murmur page: a full Murmur node in the tab. It reaches the relay over WebSockets, reserves a
 * slot there, meets other browsers through it and moves to direct WebRTC connections; posts live in
 * IndexedDB, so a reload keeps the feed and history sync fetches what the tab missed. The feed shows a
 * channel or one of the tab's private circles (`circle:NAME`, circles.ts).
 */
import { FEED_SORTS, createMurmur } from '@murmur/node'
import { DEFAULT_LIFETIME, LIFETIME_NAMES, MIN_MEMBER_RING, channelName, displayLine, lifetimeWords, parseLifetime, ready } from '@murmur/protocol'
import { multiaddr } from '@multiformats/multiaddr'
import { CIRCLE_PREFIX, circleLabel, circleNotice, circleSignedText } from './circle-text.js'
import { circleOf, circlePanel, circlePanelElements } from './circles.js'
import { feedView } from './feed-view.js'
import { filtersPanel } from './filters-form.js'
import { renderHelp, stampNotReadyText } from './help.js'
import { inviteFromFragment } from './invite.js'
import { settleLinkSettings } from './link.js'
import { followMembership, renderMembership } from './membership.js'
import { OwnAnswers, notesPanel } from './notify.js'
import { keepOffline } from './offline.js'
import { peekNotice, placesPanel, placesPanelElements } from './places.js'
import { PageReading } from './reading.js'
import { isRelayAddress, parsePowBits, powDefault, readSettings, saveMint, saveOnion, saveSettings, savedOnion } from './settings.js'
import { transportOf } from './transport.js'
import { wipeButton } from './wipe.js'
import { preview, renderPeers } from './view.js'
import type { PageSettings, UserSettings } from './settings.js'
import type { Connection } from './transport.js'
import type { CirclePostView, Murmur, PostResult, PostView } from '@murmur/node'

/** What the page exposes for diagnostics (and the end-to-end tests) as `window.murmurPage`. */
export interface MurmurPage {
  node: Murmur
  /** ms from the start of the page load to the first direct WebRTC connection that carried data (identify). */
  firstWebRTCMs: number | undefined
  /** Posts that reached this tab through the network (gossip or history sync), by id. */
  received: Map<string, PostView>
  /** Every open connection: peer, remote address, transport, limits. */
  connections(): Array<{ peer: string, addr: string, transport: string, limited: boolean }>
  /** The settings the node was started with (after the user confirmed or refused a link's). */
  settings: PageSettings
  /** The reader's order and filters (kept in localStorage). */
  reading: PageReading
  /** Replies and votes on this tab's own posts. */
  own: OwnAnswers
}

declare global {
  interface Window { murmurPage?: MurmurPage, murmurError?: string }
}

function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from the page`)
  return el as T
}

const statusLine = byId('status')

async function main (): Promise<void> {
  // libsodium's WASM before anything touches a key or a pseudonym (@murmur/protocol awaits nothing at import)
  await ready()
  renderHelp(byId('help-text'))
  // wired before the node starts: a tab that never reaches a relay can still be wiped
  const running: { node?: Murmur } = {}
  wipeButton(byId<HTMLButtonElement>('wipe'), byId('wipe-status'), async () => { await running.node?.stop() })
  const proposal = readSettings(window.location, window.localStorage)
  let current: UserSettings = proposal.settings
  byId('open-settings').onclick = () => { showSettingsForm(current) }
  const settled = await settleLinkSettings(proposal, window.localStorage, byId('link-settings'), () => {
    statusLine.textContent = 'this link wants to change your settings: apply them, or keep yours'
  })
  const settings: PageSettings = { ...proposal.settings, ...settled }
  current = settings
  const relay = settings.relay
  if (relay === undefined) {
    statusLine.textContent = 'no relay configured: paste the address `murmur relay` printed for browsers'
    showSettingsForm(settings)
    return
  }
  statusLine.textContent = 'opening the local store and connecting to the relay…'
  const relayPeer = relay.split('/p2p/').at(-1)
  const node = await createMurmur({
    bootstrap: [relay],
    dataDir: settings.store,
    // a browser tab cannot answer DHT queries for others reliably: it asks, it does not serve
    dhtServer: false,
    ...(settings.powBits === undefined ? {} : { powBits: settings.powBits }),
    // minting is on unless the user turned it off: a stamp makes the tab's votes count, and it takes
    // minutes, so it starts at once (in a Web Worker) with the progress shown in the membership panel
    membership: { mint: settings.mint, ...(settings.stampBits === undefined ? {} : { stampBits: settings.stampBits }) },
    // own posts through 3 mixes when the user turned it on (the settings form); the stem while fewer are known
    onion: settings.onion
  })
  running.node = node
  // Everything (the relay slot, the DHT, other browsers) goes through the relay. The node dials it as
  // its bootstrap peer; this dial joins that one and tells the user when the relay cannot be reached.
  node.libp2p.dial(multiaddr(relay)).catch((err: unknown) => {
    statusLine.textContent = `cannot reach the relay: ${displayLine((err as Error).message)}`
  })
  const page: MurmurPage = {
    node,
    firstWebRTCMs: undefined,
    received: new Map(),
    connections: () => node.libp2p.getConnections().map((c) => ({
      peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), transport: transportOf(c), limited: c.limits !== undefined
    })),
    settings,
    reading: new PageReading(window.localStorage),
    own: new OwnAnswers()
  }
  window.murmurPage = page
  const { reading, own } = page
  /** What the feed shows and the composer posts to: a channel, or `circle:NAME` for one of the tab's circles. */
  let channel = settings.channel
  let replyTo: PostView | undefined

  const channelSelect = byId<HTMLSelectElement>('channel')
  const feedList = byId('feed')
  const peerList = byId('peers')
  const body = byId<HTMLTextAreaElement>('body')
  const mining = byId('mining')
  const notice = byId('circle-notice')
  const sortSelect = byId<HTMLSelectElement>('sort')
  const lifetime = byId<HTMLSelectElement>('lifetime')
  const send = byId<HTMLButtonElement>('send')
  /** The circle a post belongs to (a circle's posts carry its name), undefined for a channel's. */
  const circleOfPost = (post: PostView): string | undefined => (post as Partial<CirclePostView>).circle

  const actions = {
    reply: (post: PostView) => {
      replyTo = post
      byId('replying-to').textContent = `"${preview(post.body)}"`
      byId('replying').hidden = false
      body.focus()
    },
    vote: (post: PostView, vote: 1 | -1) => {
      const circle = circleOfPost(post)
      void sendOwn(async () => circle === undefined ? node.vote(post.id, vote) : node.circles.vote(circle, post.id, vote), circle)
    },
    repost: (post: PostView) => {
      const circle = circleOfPost(post)
      if (circle !== undefined) void sendOwn(async () => await node.circles.repost(circle, post.id), circle).then(async () => { await drawFeed() })
    },
    mute: (post: PostView, what: 'author' | 'thread') => {
      if (what === 'thread') reading.muteThread(post.root ?? post.id)
      else if (post.root !== undefined && post.pseudonym !== undefined) reading.mutePseudonym(post.root, post.pseudonym)
      filters.draw()
      void drawFeed()
    }
  }

  const feed = feedView({ node, reading, list: feedList, actions, shown: () => channel, problem: (text) => { mining.textContent = text } })
  const drawFeed = feed.draw

  const drawStatus = (): void => {
    const connections: Connection[] = node.libp2p.getConnections()
    renderPeers(peerList, connections, relayPeer)
    const kinds = connections.map(transportOf)
    const count = (kind: string): number => kinds.filter((k) => k === kind).length
    const slot = node.getMultiaddrs().some((ma) => ma.toString().includes('/p2p-circuit'))
    const toRelay = connections.some((c) => c.remotePeer.toString() === relayPeer)
    const circle = circleOf(channel)
    const members = circle === undefined
      ? `${node.channelPeers(channel).length} in ${channel}`
      : `${node.circles.list().find((c) => c.name === circle)?.members ?? 0} members in ${circleLabel(circle)}`
    statusLine.textContent = [
      slot ? 'relay slot held' : toRelay ? 'connected to the relay, reserving a slot…' : 'connecting to the relay…',
      `${node.peerCount()} peers (${count('webrtc')} WebRTC, ${count('websocket')} websocket, ${count('relayed')} relayed)`,
      members
    ].join(' · ')
  }

  /** Says before anything is typed why the channel or circle shown cannot be posted in, and what to know before posting. */
  const drawNotice = (): void => {
    const circle = circleOf(channel)
    const summary = circle === undefined ? undefined : node.circles.list().find((c) => c.name === circle)
    const peeked = circle === undefined ? peekNotice(node, channel) : undefined
    const lines = summary === undefined ? (peeked === undefined ? [] : [peeked]) : circleNotice(summary, Math.floor(Date.now() / 1000))
    send.disabled = peeked !== undefined
    notice.replaceChildren(...lines.map((text) => {
      const line = document.createElement('span')
      line.textContent = text
      return line
    }))
    notice.hidden = lines.length === 0
    notice.dataset.canPost = String(summary?.canPost ?? peeked === undefined)
  }

  const drawChannels = (): void => {
    const option = (value: string, label: string): HTMLOptionElement => {
      const el = document.createElement('option')
      el.value = value
      el.textContent = label
      el.selected = value === channel
      return el
    }
    channelSelect.replaceChildren(
      ...node.channels().map((c) => option(c, node.places.isPeeked(c) ? `${c} (peek)` : c)),
      ...node.circles.list().map((c) => option(`${CIRCLE_PREFIX}${c.name}`, circleLabel(c.name)))
    )
  }

  /** Shows another channel or circle: its feed, its line in the status, what to know before posting in it. */
  const show = (target: string): void => {
    channel = target
    drawChannels()
    void drawFeed()
    drawStatus()
    drawNotice()
    panel.draw()
  }

  /** Sends and says how it went; resolves with whether the node took the post (false: refused). `circle`: the post's circle. */
  async function sendOwn (action: () => Promise<PostResult>, circle?: string): Promise<boolean> {
    mining.textContent = 'mining proof of work…'
    try {
      const result = await own.sending(action)
      const ring = 'ring' in result && typeof result.ring === 'number' ? result.ring : undefined
      mining.textContent = [
        result.status === 'sent' ? 'sent' : `queued until ${circle === undefined ? `someone in ${channel}` : 'a peer'} is reachable`,
        circle !== undefined
          ? circleSignedText(ring, circle)
          : ring === undefined
            ? 'unverified (no member stamp yet)'
            : `ring-signed among ${ring} members${ring < MIN_MEMBER_RING ? ` (a small ring: the directory holds fewer than ${MIN_MEMBER_RING} yet)` : ''}`
      ].join(' · ')
      return true
    } catch (err) {
      const { name, message, readyAt } = err as Error & { readyAt?: number }
      // matched by name, as every caller of the node does
      mining.textContent = name === 'StampNotReadyError'
        ? stampNotReadyText(readyAt, node.membership()?.minter ?? false, Math.floor(Date.now() / 1000))
        : `not sent: ${displayLine(message)}`
      return false
    }
  }

  const panel = circlePanel(circlePanelElements(), {
    node,
    hints: [relay],
    pageUrl: () => window.location.href,
    selected: () => circleOf(channel),
    select: (name) => { show(`${CIRCLE_PREFIX}${name}`) },
    confirm: (question) => window.confirm(question)
  })
  placesPanel(placesPanelElements(), { node, geolocation: 'geolocation' in navigator ? navigator.geolocation : undefined, select: show })
  const filters = filtersPanel(reading, () => { void drawFeed() })
  const notes = notesPanel(own)
  fillSelect(sortSelect, FEED_SORTS.map((sort) => ({ value: sort, label: sort })), reading.sort)
  sortSelect.onchange = () => {
    reading.setSort(sortSelect.value)
    void drawFeed()
  }
  // the lifetimes every UI offers (@murmur/protocol's rule), by name: `lasts an hour`
  fillSelect(lifetime, LIFETIME_NAMES.map((name) => ({ value: name, label: lifetimeWords(name) })), DEFAULT_LIFETIME)
  // a join link (#join=…): offered in the join form, joined only when the user presses join
  const offerLinked = (): void => {
    const linked = inviteFromFragment(window.location.hash)
    if (linked !== undefined) panel.offer(linked)
  }
  offerLinked()
  window.addEventListener('hashchange', offerLinked)

  // A WebRTC connection counts once identify has run over it: data flowed both ways on its data
  // channels. `connection:open` alone is not proof: @libp2p/webrtc can surface a connection whose
  // peer connection never completed ICE (js-libp2p#2646).
  node.libp2p.addEventListener('peer:identify', (evt) => {
    if (page.firstWebRTCMs === undefined && transportOf(evt.detail.connection) === 'webrtc') {
      page.firstWebRTCMs = performance.now()
    }
  })
  for (const event of ['connection:open', 'connection:close', 'self:peer:update'] as const) {
    node.libp2p.addEventListener(event, drawStatus)
  }
  node.addEventListener('channel-peers', drawStatus)
  node.addEventListener('post', (evt) => {
    page.received.set(evt.detail.id, evt.detail)
    // what the reader muted or filtered out does not notify either
    if (!reading.hides(evt.detail)) own.arrived(evt.detail)
    void drawFeed()
  })
  node.addEventListener('circle-post', (evt) => {
    if (!reading.hides(evt.detail.post)) own.arrived(evt.detail.post)
    if (evt.detail.circle === circleOf(channel)) void drawFeed()
  })
  node.addEventListener('circle-roster', () => {
    drawChannels()
    drawStatus()
    drawNotice()
    panel.draw()
  })

  channelSelect.onchange = () => { show(channelSelect.value) }
  byId<HTMLFormElement>('add-channel').onsubmit = (evt) => {
    evt.preventDefault()
    const input = byId<HTMLInputElement>('new-channel')
    let name: string
    try {
      // the name as every Murmur UI reads it: `Lobby` is #lobby, as in the CLI and the library
      name = channelName(input.value)
    } catch (err) {
      mining.textContent = displayLine((err as Error).message)
      return
    }
    node.join(name).then(() => {
      channel = node.channels().at(-1) ?? channel
      input.value = ''
      drawChannels()
      void drawFeed()
      drawStatus()
    }, (err: unknown) => { mining.textContent = displayLine((err as Error).message) })
  }
  byId('cancel-reply').onclick = () => {
    replyTo = undefined
    byId('replying').hidden = true
  }
  byId<HTMLFormElement>('composer').onsubmit = (evt) => {
    evt.preventDefault()
    const text = body.value
    const parent = replyTo
    body.value = ''
    replyTo = undefined
    byId('replying').hidden = true
    const circle = parent === undefined ? circleOf(channel) : circleOfPost(parent)
    const chosen = lifetime.value
    void sendOwn(async () => {
      const options = { ttl: parseLifetime(chosen) }
      if (parent !== undefined) return circle === undefined ? node.reply(parent.id, text, options) : node.circles.reply(circle, parent.id, text, options)
      return circle === undefined ? node.post(channel, text, options) : node.circles.post(circle, text, options)
    }, circle).then((sent) => {
      // a refused post keeps what was typed (and what it replied to), unless something new was typed since
      if (!sent && body.value === '') {
        body.value = text
        replyTo = parent
        byId('replying').hidden = parent === undefined
      }
    })
  }
  window.addEventListener('pagehide', () => { void node.stop() })

  const membershipPanel = { text: byId('membership-text'), bar: byId<HTMLProgressElement>('mint-progress'), toggle: byId<HTMLButtonElement>('mint-toggle') }
  membershipPanel.toggle.onclick = () => {
    // the node mints or not from its start: the choice is saved and the tab starts again
    saveMint(window.localStorage, !settings.mint)
    window.location.reload()
  }
  // redrawn on the node's 'membership' event: a mint's progress comes at most once a second
  followMembership(node, (status) => { renderMembership(membershipPanel, status) })

  drawStatus()
  drawNotice()
  panel.draw()
  filters.draw()
  notes.draw()
  await drawFeed()
  // the page opens offline from now on, to the feed the store holds (a failure costs only that)
  keepOffline().catch((err: unknown) => { mining.textContent = `no offline copy of the page: ${displayLine((err as Error).message)}` })
  // Join once the relay slot gives this tab an address: the DHT keeps no provider record without
  // addresses, so a channel joined earlier would announce this tab to nobody. A circle needs no join:
  // its frames travel on the one topic every node carries.
  await reachable(node)
  if (circleOf(channel) === undefined) await node.join(channel)
  drawChannels()
  drawStatus()
  document.body.dataset.ready = 'true'
}

/** Fills a `<select>` with options, `selected` chosen. */
function fillSelect (select: HTMLSelectElement, options: Array<{ value: string, label: string }>, selected: string): void {
  select.replaceChildren(...options.map(({ value, label }) => {
    const option = document.createElement('option')
    option.value = value
    option.textContent = label
    option.selected = value === selected
    return option
  }))
}

/**
 * Resolves once the node has an address others can dial (its relay slot). The relay listener reports
 * `transport:listening` as soon as the slot is granted; `self:peer:update` follows only after libp2p's
 * one-second debounce of address changes, so waiting for it alone would cost that second.
 */
async function reachable (node: Murmur): Promise<void> {
  if (node.getMultiaddrs().length > 0) return
  const events = ['transport:listening', 'self:peer:update'] as const
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (node.getMultiaddrs().length > 0) {
        for (const event of events) node.libp2p.removeEventListener(event, check)
        resolve()
      }
    }
    for (const event of events) node.libp2p.addEventListener(event, check)
  })
}

/**
 * The settings form: the relay, the proof of work and the onion, chosen by the user (so applied without
 * asking), saved, and used from the next page load on.
 */
function showSettingsForm (current: UserSettings): void {
  const form = byId<HTMLFormElement>('settings-form')
  const relayInput = byId<HTMLInputElement>('relay')
  const powInput = byId<HTMLInputElement>('pow')
  const onionInput = byId<HTMLInputElement>('onion')
  const problem = byId('settings-problem')
  relayInput.value = current.relay ?? ''
  powInput.value = current.powBits === undefined ? '' : String(current.powBits)
  powInput.placeholder = powDefault()
  onionInput.checked = savedOnion(window.localStorage)
  form.hidden = false
  form.onsubmit = (evt) => {
    evt.preventDefault()
    const relay = relayInput.value.trim()
    const pow = powInput.value.trim()
    const powBits = pow === '' ? undefined : parsePowBits(pow)
    if (!isRelayAddress(relay)) {
      problem.textContent = 'not a relay address: a multiaddr ending in /p2p/<peer id>'
    } else if (pow !== '' && powBits === undefined) {
      problem.textContent = 'proof of work: a whole number of bits, 0 to 64, or empty for the default'
    } else {
      saveSettings(window.localStorage, { relay, powBits, stampBits: current.stampBits })
      saveOnion(window.localStorage, onionInput.checked)
      window.location.reload()
    }
  }
}

main().catch((err: unknown) => {
  window.murmurError = String(err)
  statusLine.textContent = `failed to start: ${displayLine((err as Error).message)}`
})
