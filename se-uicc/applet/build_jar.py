#!/usr/bin/env python3
"""Compiles the emulated UICC and packs m2m-uicc-card.jar (called by meson.build).

Two javac passes, because applets and platform target different Java levels:
  1. src/api + src/applets with --release 8 -g: what would also go through the Java Card
     converter (the applet-facing platform API is compiled with them so applets can link to it);
  2. src/platform with --release 17: the emulator engine, which only runs on the JVM.
The jar is written with fixed timestamps so that identical sources give an identical jar.
"""
import argparse
import os
import shutil
import subprocess
import sys
import zipfile

APPLET_RELEASE = "8"
PLATFORM_RELEASE = "17"
MAIN_CLASS = "org.m2muicc.card.platform.Main"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def javac(javac_bin, release, classpath, outdir, sources):
    cmd = [javac_bin, "--release", release, "-g", "-encoding", "UTF-8", "-Xlint:all,-options",
           "-cp", classpath, "-d", outdir] + sources
    result = subprocess.run(cmd)
    if result.returncode != 0:
        sys.exit("javac --release %s failed" % release)


def pack(classes_dir, jar_path):
    manifest = "Manifest-Version: 1.0\nMain-Class: %s\nCreated-By: m2m-uicc build_jar.py\n\n" % MAIN_CLASS
    tmp = jar_path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", FIXED_TIME), manifest)
        for root, dirs, files in os.walk(classes_dir):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(full, classes_dir).replace(os.sep, "/"), FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as f:
                    z.writestr(info, f.read())
    os.replace(tmp, jar_path)


def _under(path, root):
    """Whether a source file lives under se-uicc/applet/src/<root>/."""
    return (os.sep + "src" + os.sep + root + os.sep) in os.path.abspath(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--javac", required=True)
    ap.add_argument("--jcardsim", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True, help="scratch directory for class files")
    ap.add_argument("sources", nargs="+")
    args = ap.parse_args()

    early = [s for s in args.sources if _under(s, "api") or _under(s, "applets")]
    late = [s for s in args.sources if _under(s, "platform") and s not in early]
    if len(early) + len(late) != len(args.sources):
        sys.exit("build_jar.py: sources must live under src/api, src/applets or src/platform")

    classes = os.path.join(args.work, "classes")
    shutil.rmtree(classes, ignore_errors=True)
    os.makedirs(classes)
    javac(args.javac, APPLET_RELEASE, args.jcardsim, classes, early)
    javac(args.javac, PLATFORM_RELEASE, args.jcardsim + os.pathsep + classes, classes, late)
    pack(classes, args.out)


if __name__ == "__main__":
    main()
