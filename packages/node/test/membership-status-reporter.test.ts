/**
 * When membership is reported (StatusReporter, behind the node's 'membership' event): a major change at
 * once, minor ones (minting progress, the directory's size) at most once an interval with the last of a
 * burst at its end, nothing for a status that did not change, nothing after stop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StatusReporter } from '../src/membership/status-reporter.js'

interface Status { stamp: number, members: number }

function setup (): { reporter: StatusReporter<Status>, status: Status, reports: Status[] } {
  const status: Status = { stamp: 0, members: 0 }
  const reports: Status[] = []
  const reporter = new StatusReporter<Status>({
    status: () => ({ ...status }),
    major: (s) => String(s.stamp),
    report: (s) => { reports.push(s) }
  }, { interval: 1000 })
  return { reporter, status, reports }
}

describe('the membership status reporter', () => {
  afterEach(() => { vi.useRealTimers() })

  it('reports a major change at once, a burst of minor ones once now and its last at the interval\'s end', () => {
    vi.useFakeTimers()
    const { reporter, status, reports } = setup()
    reporter.start()
    reporter.changed()
    expect(reports).toEqual([])
    for (let members = 1; members <= 20; members++) {
      status.members = members
      reporter.changed()
    }
    expect(reports).toEqual([{ stamp: 0, members: 1 }])
    vi.advanceTimersByTime(999)
    expect(reports).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(reports.at(-1)).toEqual({ stamp: 0, members: 20 })
    // a major change does not wait for the interval
    status.stamp = 1
    reporter.changed()
    expect(reports.at(-1)).toEqual({ stamp: 1, members: 20 })
    expect(reports).toHaveLength(3)
    // nothing changed: nothing sent, now or later
    reporter.changed()
    vi.advanceTimersByTime(5000)
    expect(reports).toHaveLength(3)
    reporter.stop()
  })

  it('sends nothing after stop, not even a pending last change', () => {
    vi.useFakeTimers()
    const { reporter, status, reports } = setup()
    reporter.start()
    status.members = 1
    reporter.changed()
    status.members = 2
    reporter.changed()
    reporter.stop()
    vi.advanceTimersByTime(10_000)
    status.stamp = 1
    reporter.changed()
    expect(reports).toEqual([{ stamp: 0, members: 1 }])
  })
})
