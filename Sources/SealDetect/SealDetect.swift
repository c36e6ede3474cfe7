// SealDetect: finds the parts of a message that the filter cannot see into.
//
// Two sources of evidence, whose results the engine unites:
// - `Detector`: what the labels say (`Content-Type`, its `smime-type`, the filename,
//   and top-level header fields such as `Content-Class: rpmsg.message`);
// - `ContentSniffer`: what the decoded bytes of each leaf part are, whatever the label.
//
// How the engine drives a sniffer, per leaf part:
// ``swift
// var kinds = Detector.kinds(fromLabel: label)
// var sniffer = ContentSniffer(label: label, maxBytes: limit)
// while sniffer.wantsMore, let chunk = nextDecodedChunk() { sniffer.feed(chunk) }
// sniffer.finish()
// kinds.formUnion(sniffer.found)
// ``
// - Chunks may have any size and fall anywhere; bytes fed after `ContentSniffer/wantsMore`
//   turned false, or beyond `maxBytes`, are ignored.
// - Always call `ContentSniffer/finish()`: some signatures are only settled at the end
//   (a PDF `/Encrypt` key in the last bytes, a part shorter than the head checks).
// - A part labelled `application/pkcs7-mime` without `smime-type` is decided by its bytes
//   (envelopedData, authEnvelopedData, or signedData with content).
// - Text parts (`text/*`) and parts named `.asc`/`.pgp`/`.gpg` are wanted up to `maxBytes`
//   for PGP armor, unless armor was found; PDF and OLE files are read to their end
//   unless the encryption marker was found; ZIP archives until an encrypted entry or the
//   central directory; other parts only for their first bytes (up to 1 KiB for parts that
//   start with text, in case a `%PDF-` header follows).
// - `multipart/encrypted` containers may be passed to `Detector/kinds(fromLabel:)` too;
//   their `application/pgp-encrypted` control part is flagged either way.
// - Armor in a text part is `pgp-inline`; in any other part (PGP/MIME's
//   application/octet-stream part, an attached `.asc`) it is `pgp-mime`.
// - `ContentSniffer/stoppedAtLimit` after `finish()`: the sniffer stopped only because it had
//   read `maxBytes`, still undecided; if the part is longer, its rest was not inspected
//   (`limits-exceeded`).
// - A sniffer is a value (about 2 KiB, no heap storage): keep one per part being decoded.
