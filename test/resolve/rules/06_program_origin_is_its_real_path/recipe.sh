# $ORIGIN of the program is the directory of its resolved path (the kernel hands ld.so /proc/self/exe).
lib app/lib libbar.so bar.c; lib app/lib libfoo.so foo.c -Lapp/lib -lbar
prog app/bin/prog main.c -Lapp/lib -lfoo -lbar -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
mkdir -p links; ln -s ../app/bin/prog links/prog
