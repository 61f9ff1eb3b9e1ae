// Seed messages shared by the liberal-receiving tests of the parser and of the CLI.

/** The seed's REFER: Referred-By without a URI scheme. */
export const SEED_REFER = [
  'REFER sip:bob@192.0.2.2:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-refer-1',
  'Max-Forwards: 70',
  'From: <sip:alice@atlanta.example.com>;tag=a1',
  'To: <sip:bob@biloxi.example.com>;tag=b1',
  'Call-ID: refer-seed@192.0.2.1',
  'CSeq: 2 REFER',
  'Contact: <sip:alice@192.0.2.1:5060>',
  'Refer-To: <sip:carol@chicago.example.com>',
  'Referred-By: <alice@atlanta.example.com>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');
