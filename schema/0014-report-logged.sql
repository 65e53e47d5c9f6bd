-- 0014: each report as the kernel log had it (lockdepctl report --as-logged, issue 15): its
-- physical lines with their rendering prefixes ("[   12.345678] ", "Jan 14 03:08:12 host kernel: ",
-- dmesg -T ...) and the "=====" banner before the title, ready to paste into a mail.
--
-- logged: a zlib stream (RFC 1950) of that text, deflated with the report's raw text as preset
-- dictionary (deflateSetDictionary()), so that what repeats raw costs a few bytes a line and
-- the prefixes most of the rest. NULL for reports stored before 0014: their prefixes were not kept.
-- Outside this program: python3 -c 'import zlib; d = zlib.decompressobj(zdict=raw); d.decompress(blob)'.
ALTER TABLE reports ADD COLUMN logged BLOB;
