# A 32-bit libbar earlier in the path is skipped for a 64-bit program; the search goes on.
needs gcc-multilib
lib32 lib32 libbar.so bar.c
lib lib64 libbar.so bar.c; lib lib64 libfoo.so foo.c -Llib64 -lbar
prog bin/prog main.c -Llib64 -lfoo -lbar -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib32:$ORIGIN/../lib64'
