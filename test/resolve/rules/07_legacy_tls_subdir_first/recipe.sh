# glibc up to 2.36 also searches legacy hwcap subdirectories (tls/, x86_64/) of each directory, first.
lib lib libbar.so bar.c; lib lib/tls libbar.so -DBAR=1 bar.c
lib lib libfoo.so foo.c -Llib -lbar
prog bin/prog main.c -Llib -lfoo -lbar -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
