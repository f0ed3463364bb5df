/**
 * Defaults of `MurmurInit` and the node's internal timings, in one place.
 */

/**
 * Private DHT protocol so Murmur nodes form their own Kademlia network, apart from IPFS. Version 2:
 * provider records name a rendezvous bucket, not a channel (see rendezvous.ts).
 */
export const KAD_PROTOCOL = '/murmur/kad/2.0.0'

/** mDNS service tag: Murmur nodes only discover each other, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_murmur._udp.local'

/** Default listen addresses in Node.js: TCP and WebSockets on every interface, OS-chosen ports. */
export const NODE_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']

/** Browsers cannot accept connections over TCP or WebSockets, so by default they listen on nothing. */
export const BROWSER_LISTEN: string[] = []

/** How often expired posts are swept out of the store, in ms. */
export const SWEEP_INTERVAL = 60_000

/** Name of the file, inside `dataDir`, that holds a persisted libp2p key. */
export const PEER_KEY_FILE = 'peer.key'

/** Most posts held in the outbox while nobody is subscribed to their channel. */
export const MAX_OUTBOX = 256

/** First delay between topic-rendezvous rounds, in ms; doubles after each round. */
export const RENDEZVOUS_MIN_INTERVAL = 1_000

/** Longest delay between topic-rendezvous rounds, in ms. */
export const RENDEZVOUS_MAX_INTERVAL = 5 * 60_000

/** Time allowed for one DHT provide or findProviders query, in ms. */
export const RENDEZVOUS_QUERY_TIMEOUT = 30_000

/**
 * Rendezvous stops dialing new providers once this many peers we dialed share the channel with us. Only
 * peers we dialed count: inbound peers are whoever chose to connect, so counting them let a swarm of
 * inbound sybils subscribed to the channel stop the rendezvous and eclipse the node.
 */
export const RENDEZVOUS_TARGET_PEERS = 6

/** Rendezvous keys rotate every day (UTC): a key is valid for this many ms. */
export const RENDEZVOUS_DAY = 86_400_000

/**
 * For this many ms after midnight (UTC), rendezvous also looks up yesterday's key: members who have not
 * re-provided under today's key yet (the 5-minute backoff, a clock a little behind) are still found.
 */
export const RENDEZVOUS_DAY_OVERLAP = 60 * 60_000

/**
 * Rendezvous buckets: a node provides the key of its channel's bucket, not of the channel, so a provider
 * record says "a member of one of the channels in this bucket" (about 1/64 of all channels), not which.
 */
export const RENDEZVOUS_BUCKETS = 64

/** Size of the uniform sample kept of a round's providers, from which the ones to dial are drawn. */
export const RENDEZVOUS_POOL = 64

/** A rendezvous round stops reading providers after this many distinct ones. */
export const RENDEZVOUS_MAX_SEEN = 1024

/**
 * A peer found through discovery (mDNS, DHT) is dialed only while we have dialed fewer open connections
 * than this (inbound ones do not count: a swarm connecting to us must not stop us dialing).
 * Low on purpose: every peer the DHT names would otherwise be dialed, so a crowd connected everyone to
 * everyone, and sybils answering DHT queries got dialed (and became stem successors). Channel members are
 * found by the rendezvous, which samples; this only keeps a node that has almost no peers connected.
 */
export const DISCOVERY_DIAL_BELOW = 8

/** Peers discovered within this many ms are gathered before some are drawn at random and dialed. */
export const DISCOVERY_WINDOW = 2_000

/**
 * Longest wait between dials of a bootstrap peer while the node has dialed no peer at all (the backoff
 * otherwise doubles to {@link RENDEZVOUS_MAX_INTERVAL}): a newcomer whose first dials a busy node refused
 * keeps knocking. Every 30 s is one dial per bootstrap peer, nothing to a peer that is up.
 */
export const DISCOVERY_ALONE_RETRY = 30_000

/**
 * Most open connections of a node (`MurmurInit.libp2p.connectionManager.maxConnections`): Murmur holds
 * its inbound connections to `maxConnections` less the {@link OUTBOUND_RESERVE} (shared between address
 * groups, inbound-share.ts) and, past this many outbound ones, closes the oldest to a peer it did not
 * choose (it never refuses its own dials for the count). libp2p itself is given room for all of those
 * and every dial in flight (`libp2pConnectionLimit`): it refuses inbound connections past its limit
 * before any gater is asked. libp2p's pruner, which acts only past its limit, closes nothing useful here: it
 * ranks connections by tag value, then stream count, then direction and age, and skips every connection
 * carrying a stream other than identify, autonat or dcutr, and every Murmur connection carries
 * gossipsub or ping streams. What bounds the outbound ones is outbound-connections.ts.
 */
export const MAX_CONNECTIONS = 96

/**
 * Connection slots kept for the connections this node dials: at most `maxConnections −
 * min(OUTBOUND_RESERVE, ⌊maxConnections / 4⌋)` inbound connections are open (72 of 96), so a swarm
 * connecting to a node can never use up the slots its own dials (discovery, rendezvous, bootstrap) need.
 * Once they are full, a connection from an address group holding fewer than the largest takes one of
 * that group's over (see inbound-share.ts), so one host cannot keep everyone else out.
 */
export const OUTBOUND_RESERVE = 24

/**
 * Most inbound connections let in but not yet upgraded (encrypted and multiplexed) at once, over every
 * address group. libp2p's own limit on them (`maxIncomingPendingConnections`) is global and counts
 * before any gater hook, so ten TCP sockets that never speak refused everyone else for the whole upgrade
 * timeout; Murmur sets libp2p's to {@link INBOUND_PENDING_LIBP2P} and shares this budget between address
 * groups itself (see inbound-share.ts): one group may fill it while nobody else connects, and once it is
 * full a newcomer from a group holding fewer pending connections than the largest, less one, aborts
 * that group's oldest (a silent socket is the oldest; an honest handshake takes milliseconds).
 */
export const INBOUND_PENDING_BUDGET = 64

/**
 * libp2p's `maxIncomingPendingConnections` in a Murmur node: twice {@link INBOUND_PENDING_BUDGET}, so
 * that it never refuses before Murmur's share is asked (libp2p also counts the connections past the
 * gate's first hook that are finishing their upgrade). Set it below the budget and the lock-out is back.
 */
export const INBOUND_PENDING_LIBP2P = 2 * INBOUND_PENDING_BUDGET

/**
 * libp2p's `inboundConnectionThreshold` in a Murmur node: most inbound connections per second from one
 * IP address, checked before any gater. It is set past what one host can open, which takes libp2p's
 * per-address rate out of the picture: any rate there is shared by every host behind the address, so one
 * host behind a crowd's CGNAT opening more than it a second locked the whole crowd out for the rest of
 * each second (libp2p's default, 5; 1,000 until the third read of issue 12, M-b). What one address holds
 * is bounded by the inbound share (inbound-share.ts), which refuses a group past its pending budget
 * ({@link INBOUND_PENDING_BUDGET}) before its handshake and is fair between groups whatever their rate.
 */
export const INBOUND_CONNECTION_THRESHOLD = 100_000

/**
 * libp2p's `maxParallelDials` in a Murmur node (libp2p's default, 100): how many dials run at once.
 * `libp2pConnectionLimit` leaves room for all of them landing at once.
 */
export const MAX_PARALLEL_DIALS = 100

/**
 * kad-dht's `alpha` in a Murmur node: peers one path of a query asks at once (kad-dht's default, 10).
 * With {@link DHT_DISJOINT_PATHS} a query dials at most their product at once, kept well below
 * {@link MAX_PARALLEL_DIALS}: at 10 x 10 one query's dials to addresses a DHT answer named, tarpits that
 * accept and never speak, filled libp2p's dial queue, and the node's own discovery, rendezvous and stem
 * dials waited ~6 s behind them; a few queries reached the queue's limit and its dials were refused
 * (third read of issue 12, M-c). 3 is Kademlia's own.
 */
export const DHT_ALPHA = 3

/** kad-dht's `disjointPaths` in a Murmur node (kad-dht's default, `alpha`): see {@link DHT_ALPHA}. */
export const DHT_DISJOINT_PATHS = 5

/**
 * Time allowed for dialing one discovered peer, in ms, and libp2p's `dialTimeout` in a Murmur node (for
 * dials given no signal of their own, such as the bootstrap module's first one; libp2p's default: 10 s).
 * Generous: these dials are few (see {@link DISCOVERY_DIAL_BELOW}, {@link RENDEZVOUS_TARGET_PEERS}),
 * while a node whose first dials all time out on a slow or busy link (a phone on a congested network, a
 * crowd on one overloaded host) is left with no peer to look others up through. Each address of a
 * dial has {@link ADDRESS_DIAL_TIMEOUT} of it.
 */
export const DIAL_TIMEOUT = 30_000

/**
 * libp2p's `addressDialTimeout` in a Murmur node, in ms: how long one address of a dial may take, TCP
 * connect and every handshake (multistream-select, noise, yamux) included, within the dial's own
 * timeout. libp2p's default, 6 s, capped every dial whatever {@link DIAL_TIMEOUT} said: in the crowd
 * bench on a saturated host (event-loop delay 1-10 s per process) the late-started nodes' every dial of
 * their bootstrap peers was aborted in the noise handshake at 6.2-7.9 s ("EncryptionFailedError: The
 * operation was aborted due to timeout"), retry after retry; at 200 nodes 8-9 nodes so never had a
 * connection in 600 s, and their posts reached no one. A link with a round trip of 2-3 s (a congested
 * mobile network) needs about as long. Half of {@link DIAL_TIMEOUT}: a record's second address still
 * gets its turn when the first hangs.
 */
export const ADDRESS_DIAL_TIMEOUT = 15_000

/**
 * libp2p's `inboundUpgradeTimeout` in a Murmur node, in ms (libp2p's default is 10 s): how long an
 * inbound socket may take to finish its handshake (multistream-select, noise, yamux: several round
 * trips). As long as a dialer gives one address ({@link ADDRESS_DIAL_TIMEOUT}), so that a link the dialer
 * keeps is kept here too: at 5 s a link with a 3 s round trip (a congested mobile network, a browser
 * behind a relay: every round trip over two legs) finished the dialer's side in about 7 s and was then
 * aborted here, and never carried a message (dial-slow-link.test.ts, eighth read of issue 12). Silent
 * sockets are the inbound share's business: a newcomer of another address group takes over the oldest
 * pending place of the group holding the most (see {@link INBOUND_PENDING_BUDGET}).
 */
export const INBOUND_UPGRADE_TIMEOUT = ADDRESS_DIAL_TIMEOUT

/** Default feed length. */
export const FEED_LIMIT = 50
