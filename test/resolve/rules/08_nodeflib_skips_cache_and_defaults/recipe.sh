# DF_1_NODEFLIB: neither ld.so.cache nor the default directories, so even libc is not found.
lib lib libbar.so bar.c; lib lib libfoo.so foo.c -Llib -lbar
prog bin/prog main.c -Llib -lfoo -lbar -Wl,-z,nodefaultlib,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
