# A whole 32-bit program, with its own libraries, resolved through the i386 loader and cache entries.
needs gcc-multilib
lib32 lib libbar.so bar.c; lib32 lib libfoo.so foo.c -Llib -lbar
prog32 bin/prog main.c -Llib -lfoo -lbar -Wl,--no-as-needed,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
