/**
 * The Murmur node: libp2p + gossip validation + store + rendezvous, behind the `Murmur` interface.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { defaultLogger } from '@libp2p/logger'
import { AbortError, CIRCLE_SHARED_TOPIC, DIRECTORY_TOPIC, checkLifetime, displayLine, fromHex, gossipMessageId, isCircleChannel, messageId, ready, toHex } from '@murmur/protocol'
import { FEED_LIMIT, SWEEP_INTERVAL } from './constants.js'
import { ClockSkewError, NotStartedError } from './errors.js'
import { checkBody, parseId, parseIdPrefix, topicOf, typedChannel } from './input.js'
import { createPlaces, placesKeep, type Places } from './location.js'
import { gossipMessageKey, InvalidMessageTracker } from './gossip.js'
import { memberGatedValidator } from './member-gate.js'
import { ChosenPeers, Corroboration } from './corroboration.js'
import { gateCutOff } from './gossip-cutoff.js'
import { addressScopeMapper, createMurmurLibp2p } from './libp2p.js'
import { idleOutboundRelease, keptAliveIn } from './outbound-connections.js'
import { rateLimitedSync } from './sync-session-rate.js'
import type { IdleOutboundRelease } from './outbound-connections.js'
import { Outbox, dropReason, publishTo, recordedFirst, reporting } from './outbound.js'
import type { DropReason, Release, SendResult } from './outbound.js'
import { PostIntake } from './intake.js'
import { carriesPosts, forwardableNow } from './forwardable.js'
import { InStem } from './in-stem.js'
import { LocalReads } from './local-reads.js'
import { ClockWatch } from './clock-skew.js'
import { OwnPosts } from './own-posts.js'
import { OwnVotes } from './own-votes.js'
import { createNodeMetrics, publicStoreUsage } from './metrics.js'
import type { NodeMetrics } from './metrics.js'
import { bootstrapPeers, DiscoveryDialer } from './discovery.js'
import { dialDrawn } from './discovery-dial.js'
import { discoveryWalk } from './discovery-walk.js'
import type { DiscoveryWalk } from './discovery-walk.js'
import type { DrawnDialComponents } from './discovery-dial.js'
import { TopicRendezvous } from './rendezvous.js'
import { createProviderLookup } from './provider-lookup.js'
import { createStem } from './stem/index.js'
import { NoMixPathError, ONION_OFF, createOnion } from './onion/index.js'
import { HistorySync, SYNC_PEERS_PER_CHANNEL } from './sync/index.js'
import { isSyncedTopic, nodeSyncHost } from './sync-host.js'
import { SenderGroups } from './sender-groups.js'
import { createPostStore, openDatabase } from './store/index.js'
import { resolveConfig } from './config.js'
import { toPostView } from './view.js'
import { createVerifyPool, priorityOfPath } from './verify/index.js'
import { poolMiner } from './verify/miner.js'
import { openNodeMembership } from './node-membership.js'
import { openNodeCircles } from './circle/index.js'
import type { CirclesInit, NodeCircles } from './circle/index.js'
import type { Circles } from './circle/types.js'
import type { NodeMembership, NodeMembershipStatus } from './node-membership.js'
import type { StoreDatabase } from './store/index.js'
import type { VerifyPool } from './verify/index.js'
import type { AbortOptions, FeedOptions, Murmur, MurmurEvents, MurmurInit, PostOptions, PostResult, SyncChannelOptions } from './index.js'
import type { MurmurConfig } from './config.js'
import type { MurmurLibp2p } from './libp2p.js'
import type { PostStore, StoreUsage } from './store/index.js'
import type { Verdict } from './intake.js'
import type { Stem } from './stem/index.js'
import type { Onion, OnionStatus } from './onion/index.js'
import type { PostView } from './view.js'
import type { Connection, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TopicValidatorFn } from '@libp2p/gossipsub'

/**
 * The implementation behind {@link createMurmur}. Besides MurmurEvents it sends 'membership'
 * (NodeMembershipEvents): the same object as `membership()`, whenever it changes.
 *
 * @example
 * ```ts
 * node.addEventListener('membership', (evt) => { console.log(evt.detail.signing, evt.detail.minting?.progress?.etaSeconds) })
 * ```
 */
export class MurmurNode extends TypedEventEmitter<MurmurEvents> implements Murmur {
  readonly libp2p: MurmurLibp2p
  private readonly config: MurmurConfig
  private readonly store: PostStore
  private readonly intake: PostIntake
  private readonly direct: Outbox
  private readonly stem?: Stem
  private readonly onionLayer?: Onion
  private readonly metrics: NodeMetrics
  private readonly sync?: HistorySync
  private readonly outbound: Outbox
  private readonly own: OwnPosts
  private readonly rendezvous: TopicRendezvous
  private readonly discovery: DiscoveryDialer
  /** Random DHT walks whose replies reach discovery with their source (kad-dht's own events name none). */
  private readonly walk: DiscoveryWalk
  private readonly validator: TopicValidatorFn
  private readonly joined = new Map<string, string>()
  /** Location channels: joined near a place, or peeked at (read only); kept in the database, cell names only. */
  readonly places: Places
  private readonly inStem: InStem
  /** What the user reads: the store, and own posts not yet back from the network. */
  private readonly reads: LocalReads
  private readonly clock: ClockWatch
  private readonly tracker: InvalidMessageTracker
  /** Who delivered what: each peer's address group, kept past its connection for posts still in validation. */
  private readonly senders: SenderGroups
  /** Peers this node chose to dial that delivered a post too vouch for it in the store's quota. */
  private readonly vouches: Corroboration
  /** The peers this node chose to dial (bootstrap, drawn), as against those a DHT query dialed. */
  private readonly chosen: ChosenPeers
  /** Closes idle outbound connections a DHT query opened to peers this node did not choose (while running). */
  private outboundRelease?: IdleOutboundRelease
  /** Where envelopes are validated off the main thread (undefined: on it). */
  private readonly verifier?: VerifyPool
  /** Whether the pool is the node's own (stopped with it) rather than shared by the embedder. */
  private readonly ownsVerifier: boolean
  /** The node's database, shared by the store, the stem records and the member directory. */
  private readonly db: StoreDatabase
  /** The member directory and this node's own stamp; undefined with membership off. */
  private members?: NodeMembership
  /** The relay role on the shared circle topic and `circles`; opened at start. */
  private nodeCircles?: NodeCircles
  private readonly circlesInit: CirclesInit
  /** Each joined channel's subscribed peers as last announced in a `channel-peers` event. */
  private readonly channelPeerKeys = new Map<string, string>()
  private sweepTimer?: ReturnType<typeof setInterval>
  private running = false
  /** The stop under way or done: every stop() call awaits this one. */
  private stopping?: Promise<void>
  /** 'murmur:node' from the libp2p logger (the app's, when it gave one); its parts log in scopes below it. */
  private readonly log: Logger

  /** Creates, starts and returns a node; on failure everything opened so far is closed again. */
  static async create (init: MurmurInit, options: AbortOptions = {}): Promise<MurmurNode> {
    const { signal } = options
    await ready()
    const config = await resolveConfig(init)
    // the app's logger (MurmurInit.libp2p.logger) serves libp2p and every part of the node alike
    const logger = config.libp2p.logger ?? defaultLogger()
    const log = logger.forComponent('murmur:node')
    throwIfAborted(signal, 'starting the node')
    const db = await openDatabase(config.dataDir, { atRestKeys: config.atRestKeys })
    const store = createPostStore({ db, logger })
    // a pool of its own unless the embedder shares one (many nodes in one process) or wants none
    const verifier = config.verify === false ? undefined : config.verify ?? createVerifyPool()
    let node: MurmurNode | undefined
    try {
      throwIfAborted(signal, 'starting the node')
      const inStem = await InStem.open(db, (err) => { log.error('could not record an own post in transit - %e', err) })
      // one penalty and cut-off per peer for gossip, stem and sync; a peer cut off is disconnected; free
      // refusals past a peer's own few are shared by its address group (known once libp2p exists)
      let hangUp: (peer: string) => void = () => {}
      const tracker = new InvalidMessageTracker({ onCutOff: (peer) => { hangUp(peer) }, groupOf: (peer) => senders.of(peerIdFromString(peer)) })
      // peers this node chose to dial score more in gossip (their connections are known once libp2p exists)
      const chosen = new ChosenPeers(config.bootstrap)
      let connectionsOf = (_peer: PeerId): Connection[] => []
      const libp2p = await createMurmurLibp2p({
        listen: config.listen,
        bootstrap: config.bootstrap,
        mdns: config.mdns,
        allowPrivateAddresses: config.allowPrivateAddresses,
        iceServers: config.iceServers,
        dhtServer: config.dhtServer,
        privateKey: config.peerKey,
        tracker,
        chosen: (peer) => chosen.dialed(peer, connectionsOf(peer)),
        extra: { ...config.libp2p, logger }
      })
      connectionsOf = (peer) => libp2p.getConnections(peer)
      const senders = new SenderGroups(libp2p)
      // a cut-off peer's gossip is dropped before gossipsub marks it seen; one peer's messages are judged in
      // turn, the node's turns shared round-robin by address group, then by peer
      gateCutOff(libp2p.services.pubsub, { isCutOff: (peer) => tracker.isCutOff(peer), groupOf: (peer) => senders.of(peer) })
      hangUp = (peer) => {
        // no PeerId in the log: which peer misbehaved is in the DEBUG log of the path that refused it
        log('cutting off a peer that sent invalid posts')
        libp2p.hangUp(peerIdFromString(peer)).catch((err: unknown) => { log('could not hang up - %e', err) })
      }
      node = new MurmurNode(config, db, store, inStem, libp2p, tracker, senders, chosen, verifier, log, init.circles)
      await node.start(signal)
      return node
    } catch (err) {
      // whatever started (libp2p's listeners included) is stopped: a failed start leaves nothing behind
      if (node !== undefined) {
        await node.stop().catch((stopErr: unknown) => { log.error('could not stop after a failed start - %e', stopErr) })
      } else {
        if (config.verify === undefined) await verifier?.stop()
        await store.close()
      }
      throw err
    }
  }

  private constructor (config: MurmurConfig, db: StoreDatabase, store: PostStore, inStem: InStem, libp2p: MurmurLibp2p, tracker: InvalidMessageTracker, senders: SenderGroups, chosen: ChosenPeers, verifier: VerifyPool | undefined, log: Logger, circlesInit: CirclesInit = {}) {
    super()
    this.log = log
    this.circlesInit = circlesInit
    this.db = db
    this.verifier = verifier
    this.ownsVerifier = config.verify === undefined
    this.config = config
    this.store = store
    this.inStem = inStem
    this.tracker = tracker
    this.libp2p = libp2p
    // whether `peer` holds a connection this node chose (a drawn address, a bootstrap peer): what the stem,
    // the onion, sync and discovery draw by
    const dialed = (peer: PeerId): boolean => this.chosen.dialed(peer, libp2p.getConnections(peer))
    this.places = createPlaces({
      join: async (channel) => this.join(channel),
      leave: async (channel) => this.leave(channel),
      channels: () => this.channels(),
      get: async (id) => this.get(id),
      keep: placesKeep(db)
    })
    // read at scrape time; outbound is direct when the stem is off, so the Set counts that outbox once
    this.metrics = createNodeMetrics({
      metrics: libp2p.metrics,
      waiting: () => [...new Set([this.direct, this.outbound])].reduce((n, box) => n + box.queued, 0) + (this.stem?.router.heldCount ?? 0),
      syncSessions: () => this.sync?.sessions ?? 0,
      storeUsage: async () => await this.storeUsage()
    })
    this.senders = senders
    this.chosen = chosen
    this.vouches = new Corroboration({
      pubsub: libp2p.services.pubsub,
      getConnections: (peer) => libp2p.getConnections(peer),
      corroborate: async (id, group) => store.corroborate(id, group),
      groupOf: (peer) => this.senders.of(peer),
      chosen: (connection) => this.chosen.chose(connection),
      log: log.newScope('vouch')
    })
    const pubsub = libp2p.services.pubsub
    this.reads = new LocalReads({
      store,
      pending: () => inStem.pending().flatMap((post) => this.intake.ownEntry(post.channel, post.envelope) ?? []),
      // own posts back from the network: charged to whoever brought them, they may be evicted; their author still reads them
      returned: () => inStem.returned().flatMap((post) => this.intake.ownEntry(post.channel, post.envelope) ?? [])
    })
    this.intake = new PostIntake({
      store,
      powBits: config.powBits,
      // a circle's post goes out as `circle-post`, named by its circle, never as a channel's `post`
      announce: (view) => {
        if (isCircleChannel(view.channel)) this.nodeCircles?.announce(view)
        else this.safeDispatchEvent('post', { detail: view })
      },
      announcing: () => this.listenerCount('post') > 0 || this.listenerCount('circle-post') > 0,
      awaiting: (id) => this.inStem.has(id),
      lookup: async (id) => this.reads.get(id),
      now: config.clock,
      // the pool checks stem and own posts first, then gossip, then sync
      offThread: verifier === undefined ? undefined : async (envelope, options, group, path) => await verifier.validate(envelope, options, { group, priority: priorityOfPath(path) }),
      // rings of stamped members only, once membership is open (votes and posts of public channels)
      checkRing: (ring, created, from) => this.members?.checkRing(ring, created, from) ?? { ok: true },
      // a free refusal (expired, too early) from a stem or sync peer counts against its budget, as on gossip
      refusal: (peer, code) => tracker.refusal(peer, code),
      // the ring posts sent on in the stem are remembered across restarts
      db,
      // each sender group's posts count apart in the estimate (a few lying groups cannot move it)
      onVerified: (topic, envelope, result, _path, from) => {
        this.clock.observe(topic, envelope, result, from)
        this.metrics.checked(result)
      },
      // the post is out there: its stem embargo ends, and an own post is stored now (no longer pending)
      onValid: (id) => {
        this.stem?.seen(id)
        this.onionLayer?.seen(id)
        this.inStem.arrived(id)
      },
      log: log.newScope('intake')
    })
    this.clock = new ClockWatch({
      now: config.clock,
      validateAt: (topic, envelope, at) => this.intake.validateAt(topic, envelope, at),
      onChange: (detail) => { this.safeDispatchEvent('clock-skew', { detail }) },
      log: log.newScope('clock')
    })
    const connectionCount = (): number => libp2p.getConnections().length
    // an own post that waited past its ring epoch is signed again (a vote) or given up as it leaves (OwnPosts.release)
    const ownRelease = (next: Release): Release => async (topic, envelope, expires) => await this.own.release(topic, envelope, expires, next)
    // and waits no longer than it may leave (the forward rule: an own ring post's epoch too)
    const waits = { deadline: (topic: string, envelope: Uint8Array, expires: number) => this.own.deadline(topic, envelope, expires), clock: config.clock }
    // published into gossip: an own post is out there now, stored, and sync may hand it out
    this.direct = new Outbox({
      pubsub,
      connectionCount,
      // the post reported (and landed) is the one that left: a vote signed again has a new id
      release: ownRelease(reporting(publishTo(pubsub), (id) => {
        this.intake.published(id)
        this.own.landed(id).catch((err: unknown) => { log.error('could not store an own post published here - %e', err) })
      })),
      // without the stem own posts leave through here (with the directory's announcements, not the caller's)
      ...(config.stem === false ? this.ownPostHooks(true) : {}),
      ...waits,
      log: log.newScope('outbound')
    })
    if (config.stem !== false) {
      const stem = createStem({
        libp2p,
        // a peer holding a connection this node chose (at its onConnect: the one just identified, or another)
        chosen: dialed,
        groupOf: (peer) => this.senderGroup(peer),
        // a stem hop judges a post fully but must not store it: the gossip copy must still be accepted and forwarded
        validate: async (topic, envelope, peer) => {
          if (topic === DIRECTORY_TOPIC) return await this.judgeAnnouncement(envelope, peer)
          if (topic === CIRCLE_SHARED_TOPIC) return this.nodeCircles?.judge(envelope) ?? 'ignore'
          return await this.judgeRelayed(topic, envelope, peer)
        },
        penalize: (peer) => { tracker.penalise(peer.toString()) },
        blocked: (peer) => tracker.isCutOff(peer.toString()),
        // a post fluffed here after all is charged to the successor it last went to, own or relayed alike
        forwarded: (id, to) => { this.intake.forwarded(fromHex(id), this.senderGroup(to)) },
        fluff: async (topic, envelope, expires, group) => {
          if (topic === DIRECTORY_TOPIC && this.members !== undefined) return await this.members.fluff(envelope, expires)
          if (topic === CIRCLE_SHARED_TOPIC && this.nodeCircles !== undefined) return await this.nodeCircles.fluff(envelope, expires, group)
          return await this.own.fluff(topic, envelope, expires)
        },
        canFluff: (topic) => this.direct.reachable(topic),
        // a post or a stamp held past its forward rule is not handed on (ninth read of issue 12, H1; twelfth, H1)
        passable: (topic, envelope) => topic === DIRECTORY_TOPIC ? this.members?.passable(envelope) !== false : this.own.refusal(topic, envelope) === undefined,
        log: log.newScope('stem')
      }, config.stem)
      stem.addEventListener('unprotected', (evt) => {
        // an own post the stem publishes itself (never a directory announcement or a circle frame: their ids are no post's)
        if (carriesPosts(evt.detail.topic)) this.safeDispatchEvent('unprotected', { detail: { id: evt.detail.id, reason: evt.detail.reason } })
      })
      stem.addEventListener('dropped', (evt) => {
        // an own post held in the stem until it could no longer leave: given up there, as the outbox gives one up
        const { id, topic, error } = evt.detail
        if (carriesPosts(topic)) this.safeDispatchEvent('dropped', { detail: { id, reason: dropReason(error), error } })
      })
      this.stem = stem
    }
    if (config.onion !== false && this.stem !== undefined) {
      const fallback = this.stem
      this.onionLayer = createOnion({
        libp2p,
        chosen: dialed,
        groupOf: (peer) => this.senderGroup(peer),
        penalize: (peer) => { tracker.penalise(peer.toString()) },
        blocked: (peer) => tracker.isCutOff(peer.toString()),
        // the exit: a channel post judged as a relayed one, charged to nobody (the mix before could not read
        // it), then published into gossip as a stem hop fluffs one
        deliver: async (topic, envelope) => {
          try {
            if (carriesPosts(topic) && await this.judgeRelayed(topic, envelope) === 'accept') await this.own.fluff(topic, envelope, undefined)
          } catch (err) {
            log('an onion exit could not publish - %e', err)
          }
        },
        // an own post no path delivered: the stem takes it, unless its deadline passed meanwhile (given up, as the outbox gives one up)
        fallback: (topic, envelope, expires) => {
          fallback.send(topic, envelope, expires).catch((err: unknown) => { log.error('the stem could not take an own post back from the onion - %e', err) })
        },
        deadline: waits.deadline,
        givenUp: (topic, envelope, reason) => { this.ownDropped(topic, envelope, reason) },
        clock: config.clock,
        log: log.newScope('onion')
      }, config.onion)
    }
    // own posts wait for a reachable member of their channel, then leave through the stem
    const stem = this.stem
    this.outbound = stem === undefined
      ? this.direct
      : new Outbox({
        pubsub,
        connectionCount,
        // in the stem: not sent again after a restart (a re-sent old post would name its author), still withheld
        release: ownRelease(recordedFirst(async (topic, envelope, expires) => await this.originate(stem, topic, envelope, expires), async (id) => inStem.sent(id))),
        ...this.ownPostHooks(false),
        ...waits,
        log: log.newScope('outbound')
      })
    this.own = new OwnPosts({
      intake: this.intake,
      inStem: this.inStem,
      direct: this.direct,
      outbound: this.outbound,
      store,
      reads: this.reads,
      votes: new OwnVotes(this.db, config.clockInjected ? config.clock : undefined),
      // an own post counts as checked, as a relayed one does: a scrape cannot tell them apart
      checked: (result) => { this.metrics.checked(result) },
      channelOf: (topic) => this.channelOf(topic),
      join: async (channel) => this.join(channel),
      assertRunning: () => { this.assertRunning() },
      signer: () => this.members?.signer,
      readyAt: () => this.members?.readyAt(),
      // mined on a worker: the hashing's garbage would be collected while the post leaves (issue 12 item 2)
      miner: verifier === undefined ? undefined : poolMiner(verifier),
      log: log.newScope('own')
    }, { powBits: config.powBits, authorKey: config.authorKey, clock: config.clockInjected ? config.clock : undefined })
    if (config.sync !== false) {
      // sessions opened here are shared out per address group (a fair share of 120 a minute; dialed peers free)
      this.sync = new HistorySync(rateLimitedSync(libp2p, { chosen: dialed }), nodeSyncHost({
        store,
        intake: this.intake,
        members: () => this.members,
        circles: () => this.nodeCircles?.sync,
        channelOf: (topic) => this.channelOf(topic),
        joinedTopics: () => [...this.joined.values()],
        senderGroup: (peer) => this.senderGroup(peer),
        chosen: dialed,
        tracker,
        pubsub,
        now: config.clock
      }), { ...config.sync, log: log.newScope('sync') })
    }
    // only connections this node dialed count toward its discovery and rendezvous targets: a swarm that
    // connects to it (inbound) must not stop it dialing peers it drew itself (`dialed`, defined above)
    // the connection that reaches a drawn address is chosen, not the PeerId answering on it (a bootstrap
    // peer: by its PeerId), for discovery and the rendezvous alike; cut-off peers are refused by the gater
    const drawnDial: DrawnDialComponents = {
      getConnections: () => libp2p.getConnections(),
      dial: async (target, options) => await libp2p.dial(target, options),
      identify: async (connection, options) => await libp2p.services.identify.identify(connection, options),
      choose: (connection) => { this.chosen.add(connection) },
      allowPrivateAddresses: config.allowPrivateAddresses
    }
    this.discovery = new DiscoveryDialer({
      dialedCount: () => this.chosen.dialedCount(libp2p.getConnections()),
      isConnected: (peer) => libp2p.getConnections(peer).length > 0,
      isDialed: dialed,
      dial: async (peer, signal, exact) => await dialDrawn(drawnDial, peer, signal, exact),
      log: log.newScope('discovery')
    }, { bootstrap: bootstrapPeers(config.bootstrap), allowPrivateAddresses: config.allowPrivateAddresses })
    this.walk = discoveryWalk({
      dht: libp2p.services.dht,
      getConnections: (peer) => libp2p.getConnections(peer),
      offer: (peer, source) => { if (this.running) this.discovery.offer(peer, source) },
      short: () => this.discovery.short(),
      log: log.newScope('discovery:walk')
    })
    this.rendezvous = new TopicRendezvous({
      dht: libp2p.services.dht,
      lookup: createProviderLookup({
        dht: libp2p.services.dht,
        peerId: libp2p.peerId,
        dialProtocol: async (peer, protocol, options) => libp2p.dialProtocol(peer, protocol, options),
        getConnections: (peer) => libp2p.getConnections(peer),
        chosen: dialed,
        log: log.newScope('rendezvous')
      }, { peerInfoMapper: addressScopeMapper(config.allowPrivateAddresses) }),
      peerId: libp2p.peerId,
      dialedInTopic: (topic) => pubsub.getSubscribers(topic).filter((peer) => dialed(peer)).length,
      isConnected: (peer) => libp2p.getConnections(peer).length > 0,
      // a provider this node reached by choice counts as dialed (a connected, unchosen one does not)
      isDialed: dialed,
      addressCount: () => libp2p.getMultiaddrs().length,
      // the peer reached (whoever answers at the record's address), so the topic's dialer counts it in its group
      dial: async (peer, signal) => await dialDrawn(drawnDial, peer, signal),
      log: log.newScope('rendezvous')
    }, { allowPrivateAddresses: config.allowPrivateAddresses })
    this.validator = memberGatedValidator({
      // a ring of members unknown here is kept until their stamps arrive (stamp-added, below)
      membership: (valid, peer, { topic, data }) => this.intake.membership(valid, peer.toString(), { topic, envelope: data, path: 'gossip', from: this.senderGroup(peer) }),
      validate: async (topic, envelope, peer) => await this.intake.verify(topic, envelope, 'gossip', this.senderGroup(peer)),
      tracker,
      accept: async (topic, envelope, valid, peer) => {
        const outcome = await this.intake.receiveGossip(envelope, valid, this.senderGroup(peer))
        // stored, but too near its time limits for every neighbour within the clock tolerance to take: kept here
        if ((outcome === 'stored' || outcome === 'forward') && !forwardableNow(valid, this.config.clock(), true)) return 'kept'
        if (outcome === 'stored' || outcome === 'forward' || outcome === 'duplicate') this.vouches.watch(gossipMessageKey(gossipMessageId(topic, envelope)), valid.id, peer)
        return outcome
      },
      log: log.newScope('validator')
    })
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get onion (): OnionStatus {
    return this.onionLayer?.status() ?? { ...ONION_OFF }
  }

  /** Starts everything; on failure or abort the caller stops the node (see create). */
  private async start (signal?: AbortSignal): Promise<void> {
    // discovered peers are gathered and some drawn at random, so that whoever answers lookups does not choose them
    this.libp2p.addEventListener('peer:discovery', (evt) => {
      if (this.running) this.discovery.offer(evt.detail)
    })
    // records with the source that sent them: one reply's flood of fakes fills only that source's sample
    this.walk.start()
    // connections a DHT query opened on a remote peer's word do not keep inbound room from newcomers
    this.outboundRelease = idleOutboundRelease({
      connections: () => this.libp2p.getConnections(),
      chosen: (peer) => this.chosen.dialed(peer, this.libp2p.getConnections(peer)),
      keptAlive: keptAliveIn(this.libp2p.peerStore),
      log: this.log.newScope('outbound')
    })
    // new own addresses (a relay slot, say; `transport:listening` comes first, `self:peer:update` after a
    // one-second debounce) or a lost peer: provide the joined channels now rather than at the next backoff
    for (const event of ['transport:listening', 'self:peer:update', 'peer:disconnect'] as const) {
      this.libp2p.addEventListener(event, () => {
        if (this.running) {
          this.rendezvous.wake()
        }
      })
    }
    // a peer that disconnects leaves its channels without a subscription change: the heartbeat (1 s) sees it
    this.libp2p.services.pubsub.addEventListener('gossipsub:heartbeat', () => { this.announceChannelPeers() })
    this.libp2p.services.pubsub.addEventListener('subscription-change', (evt) => {
      this.announceChannelPeers()
      for (const { topic, subscribe } of evt.detail.subscriptions) {
        // a node in no circle leaves the circles' frames to the periodic rounds: on connect, its few sync
        // sessions per peer go to the directory and its channels first
        if (topic === CIRCLE_SHARED_TOPIC && this.nodeCircles?.circles.size === 0) continue
        if (this.running && subscribe && isSyncedTopic(topic, { members: () => this.members, circles: () => this.nodeCircles?.sync, channelOf: (t) => this.channelOf(t) })) {
          void this.sync?.maybeSyncWith(evt.detail.peerId, topic)
        }
      }
    })
    if (this.config.membership !== false) {
      // opened before the network starts: the directory loads what earlier runs verified
      const sync = this.sync
      this.members = await openNodeMembership({
        db: this.db,
        dataDir: this.config.dataDir,
        atRestKeys: this.config.atRestKeys,
        pool: this.verifier,
        pubsub: this.libp2p.services.pubsub,
        connectionCount: () => this.libp2p.getConnections().length,
        direct: this.direct,
        stem: this.stem,
        cutOff: (peer) => { this.tracker.cutOff(peer) },
        // a stamp of a week not accepted now is free to send: counted against the sender's free refusals
        refusal: (peer, code) => this.tracker.refusal(peer, code),
        penalise: (peer) => { this.tracker.penalise(peer) },
        senderGroup: (peer) => this.senderGroup(peer),
        clock: this.config.clock,
        // a ring naming members not known here: their stamps are fetched by a directory sync now (the
        // fetcher paces each peer); with history sync off they wait for gossip
        ...(sync === undefined
          ? {}
          : {
              syncDirectory: async (peer: string) => await sync.maybeSyncWith(peerIdFromString(peer), DIRECTORY_TOPIC, 0),
              directoryPeers: (count: number) => sync.peersFor(DIRECTORY_TOPIC, count).map(String)
            }),
        log: this.log.newScope('membership')
      }, this.config.membership)
      const intake = this.intake
      this.members.directory.addEventListener('stamp-added', (evt) => { void intake.stamped(evt.detail.memberKey) })
      this.members.addEventListener('membership', (evt) => { this.safeDispatchEvent('membership', { detail: evt.detail }) })
    }
    this.nodeCircles = await this.openCircles()
    // the store's totals read now (one seek per channel): no scrape or storeUsage() reads the database
    await this.store.usage()
    await this.intake.open()
    throwIfAborted(signal, 'starting the node')
    await this.libp2p.start()
    this.running = true
    // every node relays circle frames on the one shared topic: a subscription says nothing of who is in which circle
    this.libp2p.services.pubsub.topicValidators.set(CIRCLE_SHARED_TOPIC, this.nodeCircles.validator)
    this.libp2p.services.pubsub.subscribe(CIRCLE_SHARED_TOPIC)
    throwIfAborted(signal, 'starting the node')
    await this.sweep()
    this.sweepTimer = setInterval(() => { void this.sweep() }, SWEEP_INTERVAL)
    // channels first: a stem post or sync request that arrives next finds the channel joined
    for (const channel of this.config.channels) {
      await this.join(channel, { signal })
    }
    await this.places.restore()
    this.members?.start()
    await this.stem?.start()
    await this.onionLayer?.start()
    await this.sync?.start()
    throwIfAborted(signal, 'starting the node')
    await this.own.resendQueued(this.stem)
    // no PeerId here: with the channels below it would tie this run's network identity to them in the log
    this.log('started')
  }

  async stop (): Promise<void> {
    // a second call, concurrent or later, waits for the same stop
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.stop()
  }

  /**
   * Stops every part, also of a node whose start failed half-way: each step runs even if one before it
   * failed (the store is closed whatever libp2p did); the first failure is thrown once all ran.
   */
  private async shutdown (): Promise<void> {
    this.running = false
    clearInterval(this.sweepTimer)
    const failures: unknown[] = []
    const step = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await fn()
      } catch (err) {
        this.log.error('could not stop %s - %e', what, err)
        failures.push(err)
      }
    }
    await step('the rendezvous', () => { this.rendezvous.stop() })
    await step('the discovery walk', () => { this.walk.stop() })
    await step('the outbound release', () => { this.outboundRelease?.stop() })
    await step('discovery', () => { this.discovery.stop() })
    await step('the outbox', () => { this.outbound.stop() })
    await step('the circle outbox', () => { this.nodeCircles?.stop() })
    await step('corroboration', () => { this.vouches.stop() })
    await step('the onion', () => { this.onionLayer?.stop() })
    await step('the stem', () => { this.stem?.stop() })
    await step('the direct outbox', () => { this.direct.stop() })
    // the nonce reached is saved before the database closes
    await step('membership', async () => this.members?.stop())
    await step('history sync', async () => this.sync?.stop())
    await step('libp2p', async () => this.libp2p.stop())
    if (this.ownsVerifier) await step('the verification pool', async () => this.verifier?.stop())
    await step('the own-post records', async () => this.inStem.flush())
    await step('the stem marks', async () => this.intake.flush())
    await step('the store', async () => this.store.close())
    if (failures.length > 0) throw failures[0]
    this.log('stopped')
  }

  async join (typed: string, options: AbortOptions = {}): Promise<void> {
    const channel = typedChannel(typed)
    this.assertRunning()
    throwIfAborted(options.signal, `joining ${displayLine(channel)}`)
    const topic = topicOf(channel)
    if (this.joined.has(channel)) {
      return
    }
    this.joined.set(channel, topic)
    const pubsub = this.libp2p.services.pubsub
    pubsub.topicValidators.set(topic, this.validator)
    pubsub.subscribe(topic)
    this.rendezvous.join(topic)
    this.log('joined %s', displayLine(channel))
    this.announceChannelPeers()
    // peers already in the channel: catch up with a few of them (new ones trigger it on subscribing)
    for (const peer of this.sync?.peersFor(topic, SYNC_PEERS_PER_CHANNEL) ?? []) {
      void this.sync?.maybeSyncWith(peer, topic)
    }
  }

  async syncChannel (typed: string, options: SyncChannelOptions = {}): Promise<number> {
    const channel = typedChannel(typed)
    this.assertRunning()
    const { signal } = options
    throwIfAborted(signal, 'the channel sync')
    const topic = this.joined.get(channel)
    const sync = this.sync
    if (topic === undefined || sync === undefined) {
      return 0
    }
    const peers = sync.peersFor(topic, options.peers ?? SYNC_PEERS_PER_CHANNEL)
    // no cooldown, but demoted peers and sessions already running are still skipped
    // an abort stops the wait; sessions under way end within their own timeouts and keep what they stored
    const reports = await raceAbort(Promise.all(peers.map(async (peer) => sync.maybeSyncWith(peer, topic, 0))), signal, 'the channel sync')
    return reports.reduce((sum, report) => sum + (report?.stored ?? 0), 0)
  }

  /** The channel of a joined topic. */
  private channelOf (topic: string): string | undefined {
    for (const [channel, joinedTopic] of this.joined) {
      if (joinedTopic === topic) return channel
    }
    return undefined
  }

  async leave (typed: string): Promise<void> {
    const channel = typedChannel(typed)
    this.assertRunning()
    const topic = this.joined.get(channel)
    if (topic === undefined) {
      return
    }
    this.joined.delete(channel)
    this.channelPeerKeys.delete(channel)
    const pubsub = this.libp2p.services.pubsub
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
    await this.rendezvous.leave(topic)
    // a peeked or nearby channel left by name is not taken back at the next start
    await this.places.forget(channel)
    this.log('left %s', displayLine(channel))
  }

  channels (): string[] {
    return [...this.joined.keys()]
  }

  channelPeers (typed: string): PeerId[] {
    const channel = typedChannel(typed)
    this.assertRunning()
    return this.libp2p.services.pubsub.getSubscribers(topicOf(channel))
  }

  /** Sends `channel-peers` for each joined channel whose subscribed peers changed since it was last sent. */
  private announceChannelPeers (): void {
    if (!this.running) return
    const pubsub = this.libp2p.services.pubsub
    for (const [channel, topic] of this.joined) {
      const peers = pubsub.getSubscribers(topic)
      const key = peers.map(String).sort().join(' ')
      if (this.channelPeerKeys.get(channel) === key) continue
      this.channelPeerKeys.set(channel, key)
      this.safeDispatchEvent('channel-peers', { detail: { channel, peers } })
    }
  }

  /**
   * The outbox hooks that send `queued`, `released` and `dropped` for own posts (never for the
   * directory's announcements), and `unprotected` on release when the node runs without the stem.
   */
  private ownPostHooks (unprotected: boolean): Pick<ConstructorParameters<typeof Outbox>[0], 'onQueued' | 'onReleased' | 'onDropped'> {
    return {
      onQueued: (topic, envelope, reason) => { this.ownEvent('queued', topic, envelope, { reason }) },
      onReleased: (topic, envelope) => {
        if (unprotected) this.ownEvent('unprotected', topic, envelope, { reason: 'stem-off' })
        this.ownEvent('released', topic, envelope, {})
      },
      onDropped: (topic, envelope, reason, error) => { this.ownDropped(topic, envelope, reason, error) }
    }
  }

  /** An own post past its deadline (in the outbox, or resent by the onion): given up as at its release (forgotten, a vote's record undone), and `dropped` sent. */
  private ownDropped (topic: string, envelope: Uint8Array, reason: DropReason, error?: Error): void {
    this.own.dropped(topic, envelope, reason).catch((err: unknown) => { this.log.error('could not give up an own post - %e', err) })
    this.ownEvent('dropped', topic, envelope, error === undefined ? { reason } : { reason, error })
  }

  /** Sends an own-post event: its detail is the post's id (which post() returned) and `rest`, nothing else. */
  private ownEvent<K extends 'queued' | 'released' | 'dropped' | 'unprotected'> (type: K, topic: string, envelope: Uint8Array, rest: Omit<MurmurEvents[K]['detail'], 'id'>): void {
    if (topic === DIRECTORY_TOPIC) return
    const detail = { id: toHex(messageId(topic, envelope)), ...rest } as MurmurEvents[K]['detail']
    this.safeDispatchEvent(type, { detail } as CustomEventInit<MurmurEvents[K]['detail']>)
  }

  async post (typed: string, body: string, options: PostOptions = {}): Promise<PostResult> {
    const channel = typedChannel(typed)
    checkBody(body)
    // one of the lifetimes every UI offers: one of the author's own would link their posts
    checkLifetime(options.ttl)
    this.assertCanPost(options.signal)
    this.places.assertPostable(channel)
    return this.own.post(channel, body, options)
  }

  async reply (parentId: string, body: string, options: PostOptions = {}): Promise<PostResult> {
    checkBody(body)
    checkLifetime(options.ttl, 'REPLY')
    this.assertCanPost(options.signal)
    await this.places.assertAnswerable(parentId)
    return this.own.reply(parentId, body, options)
  }

  async vote (postId: string, vote: 1 | -1, options: PostOptions = {}): Promise<PostResult> {
    checkLifetime(options.ttl, 'VOTE')
    this.assertCanPost(options.signal)
    await this.places.assertAnswerable(postId)
    return this.own.vote(postId, vote, options)
  }

  async feed (typed: string, options: FeedOptions = {}): Promise<PostView[]> {
    const channel = typedChannel(typed)
    this.assertRunning()
    const entries = await this.reads.feed(channel, { sort: options.sort ?? 'new', limit: options.limit ?? FEED_LIMIT })
    return entries.map((entry) => toPostView(entry))
  }

  async thread (rootId: string): Promise<PostView[]> {
    this.assertRunning()
    const entries = await this.reads.thread(parseId(rootId))
    const rootKey = entries[0]?.kind === 'POST' ? entries[0].authorKey : undefined
    return entries.map((entry) => toPostView(entry, rootKey))
  }

  async postIdsWithPrefix (prefix: string, options: { limit?: number } = {}): Promise<string[]> {
    const typed = parseIdPrefix(prefix)
    this.assertRunning()
    return await this.reads.idsWithPrefix(typed, options.limit)
  }

  async get (id: string): Promise<PostView | undefined> {
    this.assertRunning()
    const entry = await this.reads.get(parseId(id))
    return entry === undefined ? undefined : this.intake.view(entry)
  }

  getMultiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  peerCount (): number {
    return this.libp2p.getPeers().length
  }

  /**
   * What the store holds of public channels: posts of every kind (not those evicted by the quota) and
   * their envelope bytes; circle posts are left out, as in the `murmur_store_posts` metric (see metrics.ts).
   * Kept in memory: no call reads the database.
   *
   * @example
   * ```ts
   * const { posts, bytes } = await node.storeUsage()
   * console.log(`${posts} posts, ${Math.round(bytes / 1024)} KiB`)
   * ```
   */
  async storeUsage (): Promise<StoreUsage> {
    return publicStoreUsage(await this.store.usage())
  }

  /** The address group a peer's posts count against in the store's quota, as its connection showed it (undefined: not known). */
  private senderGroup (peer: PeerId | undefined): string | undefined {
    return peer === undefined ? undefined : this.senders.of(peer)
  }

  private async sweep (): Promise<void> {
    try {
      const removed = await this.store.sweep()
      if (removed > 0) {
        this.log('swept %d expired posts', removed)
      }
      await this.nodeCircles?.sweep()
    } catch (err) {
      this.log.error('sweep failed - %e', err)
    }
  }

  get circles (): Circles {
    if (this.nodeCircles === undefined) throw new NotStartedError()
    return this.nodeCircles.circles
  }

  /** The circle parts, on the node's database, store and gossip (docs/PROTOCOL.md §6). */
  private async openCircles (): Promise<NodeCircles> {
    const { libp2p } = this
    return await openNodeCircles({
      db: this.db,
      // circle secrets in 0600 files under <dataDir>/circles, never in the store
      dataDir: this.config.dataDir,
      atRestKeys: this.config.atRestKeys,
      store: this.store,
      intake: this.intake,
      reads: this.reads,
      pubsub: libp2p.services.pubsub,
      connectionCount: () => libp2p.getConnections().length,
      tracker: this.tracker,
      senderGroup: (peer) => this.senderGroup(peer),
      rank: (peer) => this.sync?.rank(peer) ?? 1,
      refused: (peer) => { void this.sync?.maybeSyncWith(peer, CIRCLE_SHARED_TOPIC) },
      powBits: this.config.powBits,
      stem: this.stem,
      clock: this.config.clock,
      syncNow: () => {
        for (const peer of this.sync?.peersFor(CIRCLE_SHARED_TOPIC, SYNC_PEERS_PER_CHANNEL) ?? []) void this.sync?.maybeSyncWith(peer, CIRCLE_SHARED_TOPIC, 0)
      },
      assertCanPost: (signal) => { this.assertCanPost(signal) },
      assertRunning: () => { this.assertRunning() },
      dispatch: (type, detail) => { this.safeDispatchEvent(type, { detail } as CustomEventInit<MurmurEvents[typeof type]['detail']>) },
      log: this.log.newScope('circles')
    }, this.circlesInit)
  }

  membership (): NodeMembershipStatus | undefined {
    return this.members?.status()
  }

  /**
   * A relay's verdict on a post it must not store (a stem hop, an onion exit): judged in full, and one
   * too near its time limits to pass on dropped uncharged. `peer`: who sent it, when someone can be charged.
   */
  private async judgeRelayed (topic: string, envelope: Uint8Array, peer?: PeerId): Promise<Verdict> {
    const verdict = await this.intake.judge(topic, envelope, this.senderGroup(peer), peer?.toString())
    // judged acceptable (a cache hit now), but too near its time limits to pass on: dropped, no charge
    const valid = verdict === 'accept' ? this.intake.validate(topic, envelope, 'stem') : undefined
    return valid !== undefined && !(valid.ok && forwardableNow(valid, this.config.clock(), true)) ? 'ignore' : verdict
  }

  /**
   * An own post leaves wrapped for mixes when the node runs the onion and knows enough of them; else, and
   * for directory announcements and circle frames, through the stem.
   */
  private async originate (stem: Stem, topic: string, envelope: Uint8Array, expires: number): Promise<SendResult> {
    if (this.onionLayer !== undefined && carriesPosts(topic)) {
      try {
        await this.onionLayer.send(topic, envelope, expires)
        return { status: 'sent', recipients: 1 }
      } catch (err) {
        if (!(err instanceof NoMixPathError)) throw err
        this.log('own post through the stem: %s', err.message)
      }
    }
    return await stem.send(topic, envelope, expires)
  }

  /** A stem hop's verdict on a directory announcement; with membership off, dropped unpenalised. */
  private async judgeAnnouncement (envelope: Uint8Array, peer: PeerId): Promise<Verdict> {
    return await this.members?.judge(envelope, peer) ?? 'ignore'
  }

  clockSkew (): number | undefined {
    return this.clock.current()?.offset
  }

  /** Throws NotStartedError once stopped, AbortError when `signal` is aborted already, ClockSkewError while this clock is known to be too far off for posts to be accepted. */
  private assertCanPost (signal?: AbortSignal): void {
    this.assertRunning()
    throwIfAborted(signal, 'the post')
    const clock = this.clock.current()
    if (clock?.skewed === true) {
      throw new ClockSkewError(clock.offset)
    }
  }

  private assertRunning (): void {
    if (!this.running) {
      throw new NotStartedError()
    }
  }
}

/** Throws AbortError (cause: the signal's reason) when `signal` is aborted. */
function throwIfAborted (signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortError(signal, what)
}

/** An AbortError for `what`, keeping the signal's reason (a TimeoutError, say) as its cause. */
function abortError (signal: AbortSignal, what: string): AbortError {
  const err = new AbortError(`${what} was aborted`)
  err.cause = signal.reason
  return err
}

/** `promise`, or an AbortError as soon as `signal` aborts (the work itself is not stopped). */
async function raceAbort<T> (promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return await promise
  throwIfAborted(signal, what)
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(abortError(signal, what)) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
