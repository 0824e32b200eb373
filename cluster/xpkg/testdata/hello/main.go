// Command hello is a tiny static binary the packaging tests put into runtime images.
package main

import "fmt"

func main() { fmt.Println("hello") }
