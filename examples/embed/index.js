/* global console, setTimeout */
// Embedding Murmur in an app: two nodes on this machine meet, one posts, the other replies and votes.
// Run from the repository root after `npm run build`: npm start -w examples/embed (see README.md)
import { exitUnlessSupportedNode } from '@murmur/node/node-version'

// before @murmur/node loads: on Node.js 20 libp2p would fail with a message that names no version
exitUnlessSupportedNode('`npm start -w examples/embed` from the repository root (it brings Node.js 22)')
const { createMurmur } = await import('@murmur/node')

const listen = ['/ip4/127.0.0.1/tcp/0']

// Only members' votes count, so that one person has one vote per post: a member is a node that minted a
// member stamp (a memory-hard proof of work, renewed weekly) and signs its votes among other members.
// Both nodes mint one here. On the public network a stamp costs about a minute of one core (the default
// stampBits) and an app keeps it across restarts with a `dataDir`; these two loopback nodes form a private
// network, where a cheap stamp (2 bits: a few seconds) is allowed.
const membership = { mint: true, stampBits: 2 }

// Alice starts first; Bob only knows Alice's address.
const alice = await createMurmur({ listen, channels: ['#lobby'], membership })
const bob = await createMurmur({ listen, channels: ['#lobby'], membership, bootstrap: [alice.getMultiaddrs()[0].toString()] })

/**
 * Votes once the node's member can sign: vote() throws StampNotReadyError while its stamp is being minted
 * or is not back from the network yet (`err.readyAt`: when it is expected), and NoDecoysError while it knows
 * no other member to hide among.
 */
async function voteAsMember (node, name, id, value) {
  for (;;) {
    try {
      return await node.vote(id, value)
    } catch (err) {
      if (err.name !== 'StampNotReadyError' && err.name !== 'NoDecoysError') throw err
      console.log(`${name}'s vote waits until ${name} is a member (${err.code})`)
      while (node.membership()?.signing !== true) await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

try {
  const received = new Promise((resolve) => {
    bob.addEventListener('post', (evt) => { if (evt.detail.kind === 'POST') resolve(evt.detail) }, { once: true })
  })
  // 'sent' if Bob is already subscribed, else 'queued': the outbox sends it as soon as he is
  const { id } = await alice.post('#lobby', 'is the library open late tonight?')
  console.log('alice posted')

  const post = await received
  console.log(`bob received: ${post.body}`)

  const replied = new Promise((resolve) => {
    alice.addEventListener('post', (evt) => { if (evt.detail.kind === 'REPLY') resolve(evt.detail) })
  })
  await bob.reply(id, 'until midnight during exams')
  const reply = await replied
  console.log(`alice got a reply: ${reply.body} (op: ${reply.op})`)

  const vote = await voteAsMember(bob, 'bob', id, 1)
  console.log(`bob voted as a member, hidden among ${vote.ring} members`)

  // votes may still be on their way: read the thread until the score shows
  let thread = await alice.thread(id)
  while (thread[0].score < 1) {
    await new Promise((resolve) => alice.addEventListener('post', resolve, { once: true }))
    thread = await alice.thread(id)
  }
  console.log(`thread: ${thread.length} posts, score ${thread[0].score}, ${thread[0].replies} reply`)
} finally {
  await bob.stop()
  await alice.stop()
}
