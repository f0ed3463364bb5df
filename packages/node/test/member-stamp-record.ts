/**
 * The member stamp record a node keeps in its data dir, read through the at-rest seal as the node reads
 * it (membership-own-bounce, membership-announce-link).
 */
import { join } from 'node:path'
import { dataDirKeys } from '../src/at-rest/sealed-file.js'
import { createFileMemberStorage } from '../src/membership/storage-file.js'
import { MEMBERSHIP_DIRECTORY } from '../src/platform/node.js'

/** Whether the node's stamp record says its stamp came back from the network (is out there). */
export async function recordedOut (dataDir: string): Promise<boolean> {
  const seal = { keys: await dataDirKeys(dataDir), place: MEMBERSHIP_DIRECTORY }
  const storage = await createFileMemberStorage({ dir: join(dataDir, MEMBERSHIP_DIRECTORY), seal })
  const bytes = await storage.get('member-stamps')
  if (bytes === undefined) return false
  const record = JSON.parse(new TextDecoder().decode(bytes)) as { stamps: Array<{ out?: boolean }> }
  return record.stamps.some((s) => s.out === true)
}
