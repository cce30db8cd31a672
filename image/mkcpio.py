#!/usr/bin/python3
"""Writes a reproducible cpio archive ("newc", the format the Linux initramfs unpacker reads).

    mkcpio.py OUT DIR [--mtime SECONDS] [--node PATH:c|b:MAJOR:MINOR:MODE ...]

Everything under DIR (not DIR itself) becomes an entry named by its path relative to DIR,
and so does every --node (a device node written into the archive without mknod, so no root is
needed: e.g. dev/console:c:5:1:0600). The archive depends only on the names, the types,
the executable bits and the contents of the files, never on who built it, when, where,
with which umask or in which file system:
  - entries sorted by name (bytes, so parents come before their children);
  - mtime of every entry = --mtime (SOURCE_DATE_EPOCH; default 0);
  - uid, gid 0; inode numbers 1, 2, ... in archive order; device numbers 0; nlink 1
    (2 for directories); hard links stored as separate files;
  - modes normalized: directories 0755 (1777 when the source is sticky and world
    writable, e.g. /tmp), regular files 0755 when the owner may execute them, else 0644,
    symbolic links 0777; anything else (sockets, fifos, devices) is refused;
  - uncompressed, padded with zeros to a multiple of 512 bytes like GNU cpio, so archives
    can be concatenated (the kernel wants each one to start 4-byte aligned).
Standard library only (Debian's /usr/bin/python3).
"""
import os
import stat
import sys

S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK = 0o040000, 0o100000, 0o120000, 0o020000, 0o060000


def usage(msg):
    sys.exit("mkcpio.py: %s\nusage: mkcpio.py OUT DIR [--mtime SECONDS] "
             "[--node PATH:c|b:MAJOR:MINOR:MODE ...]" % msg)


def header(ino, mode, nlink, mtime, size, rdevmajor, rdevminor, name):
    fields = (ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdevmajor, rdevminor, len(name) + 1, 0)
    h = b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
    return h + b"\0" * (-len(h) % 4)


def main(argv):
    if len(argv) < 3:
        usage("OUT and DIR are required")
    out, root = argv[1], argv[2]
    mtime, nodes, i = 0, [], 3
    while i < len(argv):
        if argv[i] not in ("--mtime", "--node") or i + 1 >= len(argv):
            usage("bad argument %r" % argv[i])
        if argv[i] == "--mtime":
            mtime = int(argv[i + 1])
        else:
            parts = argv[i + 1].split(":")
            if len(parts) != 5 or parts[1] not in ("c", "b"):
                usage("bad --node %r" % argv[i + 1])
            kind = S_IFCHR if parts[1] == "c" else S_IFBLK
            nodes.append((parts[0].encode(), kind | int(parts[4], 8), int(parts[2]), int(parts[3])))
        i += 2
    if not os.path.isdir(root):
        usage("%s is not a directory" % root)

    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            entries.append((os.path.relpath(path, root).encode(), path))
    entries += [(name, node) for name, *node in nodes]
    entries.sort()

    data = bytearray()
    ino = 0
    for name, path in entries:
        ino += 1
        if isinstance(path, list):  # a --node: mode, major, minor
            data += header(ino, path[0], 1, mtime, 0, path[1], path[2], name)
            continue
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            sticky = st.st_mode & 0o1002 == 0o1002
            data += header(ino, S_IFDIR | (0o1777 if sticky else 0o755), 2, mtime, 0, 0, 0, name)
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(path).encode()
            data += header(ino, S_IFLNK | 0o777, 1, mtime, len(target), 0, 0, name)
            data += target + b"\0" * (-len(target) % 4)
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                body = f.read()
            mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
            data += header(ino, S_IFREG | mode, 1, mtime, len(body), 0, 0, name)
            data += body + b"\0" * (-len(body) % 4)
        else:
            sys.exit("mkcpio.py: %s: not a directory, regular file or symbolic link" % path)
    data += header(0, 0, 1, 0, 0, 0, 0, b"TRAILER!!!")
    data += b"\0" * (-len(data) % 512)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
