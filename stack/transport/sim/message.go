package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/stack"
)

// MessageID names the k-th cast of sender: "<sender>#<k>".
func MessageID(sender stack.Endpoint, k int) string {
	return sender.String() + "#" + strconv.Itoa(k)
}

func castIndex(id string) int {
	i := strings.LastIndexByte(id, '#')
	k, _ := strconv.Atoi(id[i+1:])
	return k
}

// Payload builds a cast payload carrying id, padded to size bytes.
func Payload(id string, size int) []byte {
	b := make([]byte, 0, max(size, len(id)+4))
	b = append(b, byte(len(id)>>8), byte(len(id)))
	b = append(b, id...)
	for len(b) < size {
		b = append(b, byte(len(b)))
	}
	return b
}

// PayloadID extracts the id from a payload built by Payload and checks
// the padding, so corruption is detected.
func PayloadID(p []byte) (string, error) {
	if len(p) < 2 {
		return "", fmt.Errorf("payload of %d bytes", len(p))
	}
	n := int(p[0])<<8 | int(p[1])
	if len(p) < 2+n {
		return "", fmt.Errorf("payload id of %d bytes in %d", n, len(p))
	}
	for i := 2 + n; i < len(p); i++ {
		if p[i] != byte(i) {
			return "", fmt.Errorf("payload corrupted at byte %d", i)
		}
	}
	return string(p[2 : 2+n]), nil
}
