/**
 * SIP messages recorded from real peers on this kind of machine (test/telephony/fixtures): the INVITE that
 * `sipp -sn uac` sends, and the one baresip 1.0 sends for `/dial`, byte for byte.
 *
 * @example
 *   const invite = sipFixture('baresip-invite.sip');
 */
import fs from 'node:fs';

export function sipFixture(name: string): Buffer {
  return fs.readFileSync(new URL(`../../../test/telephony/fixtures/${name}`, import.meta.url));
}
