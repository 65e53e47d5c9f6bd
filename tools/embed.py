#!/usr/bin/env python3
"""embed.py NAME INPUT OUTPUT: write INPUT as a NUL-terminated C string constant NAME."""
import sys

name, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
with open(dst, "w") as f:
    f.write("/* generated from %s by tools/embed.py */\n#include <stddef.h>\n" % src.split("/")[-1])
    f.write("const char %s[] =\n" % name)
    for i in range(0, len(data), 16):
        f.write('        "' + "".join("\\x%02x" % b for b in data[i:i + 16]) + '"\n')
    f.write(";\nconst size_t %s_len = %d;\n" % (name, len(data)))
