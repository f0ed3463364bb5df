/* global console */
// Embedding Murmur in an app: two nodes on this machine meet, one posts, the other replies and votes.
// Run from the repository root after `npm run build`: node examples/embed/index.js
import { createMurmur } from '@murmur/node'

const listen = ['/ip4/127.0.0.1/tcp/0']

// Alice starts first; Bob only knows Alice's address.
const alice = await createMurmur({ listen, channels: ['#lobby'] })
const bob = await createMurmur({ listen, channels: ['#lobby'], bootstrap: [alice.getMultiaddrs()[0].toString()] })

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
  await bob.vote(id, 1)
  const reply = await replied
  console.log(`alice got a reply: ${reply.body} (op: ${reply.op})`)

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
