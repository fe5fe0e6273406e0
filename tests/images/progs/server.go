// A net/http server for the real-program tests (tests/e2e/kvm/real.sh),
// built by tests/images/build.sh with Debian's Go (CGO_ENABLED=0: a static
// binary that makes its own system calls, no C library). It serves the
// files under ROOT on PORT, as the standard library's file server does.
//
//	server [PORT [ROOT]]    (defaults: 8080, /srv/www)
package main

import (
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	port, root := "8080", "/srv/www"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if len(os.Args) > 2 {
		root = os.Args[2]
	}
	http.Handle("/", http.FileServer(http.Dir(root)))
	log.Printf("go %s serving %s on :%s (%d CPUs)", runtime.Version(), root, port, runtime.NumCPU())
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
