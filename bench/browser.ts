// Browser figures: the gzipped size of examples/browser and the time from page load to the first
// direct WebRTC connection between two Chromium tabs (relay and tabs on loopback). Needs a build
// (`npm run build`) and Debian's chromium. `node --experimental-transform-types bench/browser.ts`.
import { Sandbox } from '../test/cli-harness.ts'
import {
  answerLinkSettings, buildExample, hasDirectWebRTC, launchChromium, openPage, serveStatic, waitForPage
} from '../test/browser-harness.ts'
import { median, writeResults } from './lib/results.ts'

const RUNS = 3

const sandbox = await Sandbox.create()
const built = await buildExample()
const { ready } = await sandbox.relay()
const server = await serveStatic(built.dir)
const browser = await launchChromium()
const times: number[] = []
try {
  for (let run = 0; run < RUNS; run++) {
    const log: string[] = []
    const url = `${server.url}?relay=${encodeURIComponent(ready.browserMultiaddrs[0] ?? '')}&store=bench-${run}`
    const [page1, page2] = await Promise.all([openPage(browser, url, log), openPage(browser, url, log)])
    // a fresh tab asks before taking the relay from its link; answering is part of the measured time
    await Promise.all([answerLinkSettings(page1, 'apply'), answerLinkSettings(page2, 'apply')])
    const [one, two] = await Promise.all([waitForPage(page1, (s) => s.ready, 'page 1'), waitForPage(page2, (s) => s.ready, 'page 2')])
    const [state1, state2] = await Promise.all([
      waitForPage(page1, (s) => hasDirectWebRTC(s, two.peerId), 'WebRTC 1→2', 60_000),
      waitForPage(page2, (s) => hasDirectWebRTC(s, one.peerId), 'WebRTC 2→1', 60_000)
    ])
    // both tabs load together; the figure is the later of the two (the pair is connected from then on)
    times.push(Math.max(state1.firstWebRTCMs ?? Infinity, state2.firstWebRTCMs ?? Infinity))
    await page1.context().close()
    await page2.context().close()
  }
} finally {
  await browser.close()
  await server.close()
  await sandbox.cleanup()
}
writeResults('browser', [
  { figure: 'browser_bundle_gzip_kb', value: built.gzipBytes / 1024, unit: 'KiB' },
  { figure: 'browser_bundle_kb', value: built.bytes / 1024, unit: 'KiB' },
  { figure: 'browser_first_webrtc_ms', value: median(times), unit: 'ms' }
])
console.log(`first WebRTC connection per run: ${times.map((t) => Math.round(t)).join(', ')} ms`)
