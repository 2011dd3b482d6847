# RPATH beats LD_LIBRARY_PATH; LD_LIBRARY_PATH beats RUNPATH. Two libbar builds tell which was taken.
lib a libbar.so bar.c; lib b libbar.so -DBAR=1 bar.c; lib a libfoo.so foo.c -La -lbar
prog bin/rpath main.c -La -lfoo -lbar -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../a'
prog bin/runpath main.c -La -lfoo -lbar -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../a'
