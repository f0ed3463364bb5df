/**
 * `--metrics <host:port>`: loopback by default; a host off loopback (any interface, a LAN or public
 * address, a name that could resolve anywhere) is refused without --metrics-public.
 */
import { describe, expect, it } from 'vitest'
import { parseMetricsAddress } from '../src/daemon/metrics.js'
import { metricsUrl } from '../src/daemon/metrics-options.js'

describe('parseMetricsAddress', () => {
  it('takes loopback addresses', () => {
    expect(parseMetricsAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseMetricsAddress('127.1.2.3:0')).toEqual({ host: '127.1.2.3', port: 0 })
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(parseMetricsAddress('localhost:9464')).toEqual({ host: 'localhost', port: 9464 })
  })

  it('refuses a host off loopback without allowPublic, with a stable code', () => {
    for (const value of ['0.0.0.0:9464', '[::]:9464', '192.168.1.5:9464', '100.64.0.1:9464', '8.8.8.8:9464', '[::ffff:8.8.8.8]:9464']) {
      expect(() => parseMetricsAddress(value), value).toThrow(expect.objectContaining({ name: 'MetricsAddressError', code: 'ERR_METRICS_ADDRESS', message: expect.stringContaining('--metrics-public') }))
    }
    expect(parseMetricsAddress('0.0.0.0:9464', true)).toEqual({ host: '0.0.0.0', port: 9464 })
  })

  it('refuses what is not host:port, and host names other than localhost', () => {
    for (const value of ['', '9464', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:-1', 'example.org:9464', '::1:9464']) {
      expect(() => parseMetricsAddress(value), value).toThrow(expect.objectContaining({ code: 'ERR_METRICS_ADDRESS' }))
    }
  })

  it('names the URL a scraper fetches', () => {
    expect(metricsUrl({ host: '127.0.0.1', port: 9464 })).toBe('http://127.0.0.1:9464/metrics')
    expect(metricsUrl({ host: '::1', port: 9464 })).toBe('http://[::1]:9464/metrics')
  })
})
