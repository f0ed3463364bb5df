/**
 * The member records a node keeps in its data dir (its stamps, its member key), read through the at-rest
 * seal as the node reads them (membership-own-bounce, membership-announce-link, membership-logger).
 */
import { join } from 'node:path'
import { dataDirKeys } from '../src/at-rest/sealed-file.js'
import { createFileMemberStorage } from '../src/membership/storage-file.js'
import { MEMBERSHIP_DIRECTORY } from '../src/platform/node.js'
import type { MemberStorage } from '../src/membership/storage.js'

/** The node's member records, opened through the data dir's at-rest key. */
async function memberRecords (dataDir: string): Promise<MemberStorage> {
  const seal = { keys: await dataDirKeys(dataDir), place: MEMBERSHIP_DIRECTORY }
  return await createFileMemberStorage({ dir: join(dataDir, MEMBERSHIP_DIRECTORY), seal })
}

/** The node's member key secret (the bytes of its `member-key` record). */
export async function memberKeySecret (dataDir: string): Promise<Uint8Array> {
  const bytes = await (await memberRecords(dataDir)).get('member-key')
  if (bytes === undefined) throw new Error(`no member key in ${dataDir}`)
  return bytes
}

/** Whether the node's stamp record says its stamp came back from the network (is out there). */
export async function recordedOut (dataDir: string): Promise<boolean> {
  const bytes = await (await memberRecords(dataDir)).get('member-stamps')
  if (bytes === undefined) return false
  const record = JSON.parse(new TextDecoder().decode(bytes)) as { stamps: Array<{ out?: boolean }> }
  return record.stamps.some((s) => s.out === true)
}
