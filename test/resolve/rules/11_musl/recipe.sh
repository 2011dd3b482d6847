# musl: its own loader, /etc/ld-musl-<arch>.path, and libc names answered by the loader itself.
needs musl-gcc
libmusl lib libbar.so bar.c; libmusl lib libfoo.so foo.c -Llib -lbar
mkdir -p bin; musl-gcc -o bin/prog "$src/main.c" -Llib -lfoo -lbar -Wl,-rpath,'$ORIGIN/../lib'
musl-gcc -static -o bin/static "$src/main.c" "$src/foo.c" "$src/bar.c"
