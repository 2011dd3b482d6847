// hello prints who it runs as and how many CA roots it sees: in a scratch image, both come from files
// scratchify adds (/etc/passwd and the CA bundle), since a static Go binary needs nothing else.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/user"
)

func main() {
	u, err := user.Current()
	if err != nil {
		fmt.Println("user lookup failed:", err)
		os.Exit(1)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		fmt.Println("no system roots:", err)
		os.Exit(1)
	}
	fmt.Printf("hello from %s (uid %s), %d CA roots\n", u.Username, u.Uid, len(pool.Subjects()))
}
