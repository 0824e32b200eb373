package docrsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// decode reads the JSON body into v. Every failure is a 400 naming what is wrong; an
// empty body is accepted when the operation's body is optional.
func (c *call) decode(v any, required bool) (reply, bool) {
	if len(bytes.TrimSpace(c.body)) == 0 {
		if required {
			return badRequest("request body is required (a JSON object)"), true
		}
		return reply{}, false
	}
	if msg := decodeJSON(c.body, v); msg != "" {
		return badRequest(msg), true
	}
	return reply{}, false
}

// decodeJSON decodes exactly one JSON object; it returns a message for the client, or "".
func decodeJSON(body []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			if te.Field == "" {
				return fmt.Sprintf("request body must be a JSON object, not %s", te.Value)
			}
			return fmt.Sprintf("field %q must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return "malformed JSON: unexpected end of body"
		}
		return "malformed JSON: " + err.Error()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "malformed JSON: unexpected data after the object"
	}
	return ""
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

const (
	defaultPerPage = 20
	maxPerPage     = 200
)

// page is a page/per_page window over n items.
type page struct {
	page, perPage int
}

func (c *call) pageParams() (page, reply, bool) {
	q := c.r.URL.Query()
	p := page{page: 1, perPage: defaultPerPage}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &p.page}, {"per_page", &p.perPage}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return page{}, badRequest(fmt.Sprintf("%s %q must be a positive integer", f.name, v)), false
		}
		*f.dst = n
	}
	if p.perPage > maxPerPage {
		p.perPage = maxPerPage
	}
	return p, reply{}, true
}

// bounds returns the slice bounds of this page over n items.
func (p page) bounds(n int) (int, int) {
	lo := n
	if p.page-1 <= n/p.perPage { // no overflow for absurd page numbers
		lo = min((p.page-1)*p.perPage, n)
	}
	hi := lo + p.perPage
	if hi > n {
		hi = n
	}
	return lo, hi
}

type wirePages struct {
	First string `json:"first,omitempty"`
	Prev  string `json:"prev,omitempty"`
	Next  string `json:"next,omitempty"`
	Last  string `json:"last,omitempty"`
}

type wireLinks struct {
	Pages *wirePages `json:"pages,omitempty"`
}

type wireMeta struct {
	Total int `json:"total"`
}

// links builds godo-parsable absolute page links for this request's path.
func (c *call) links(p page, n int) *wireLinks {
	last := (n + p.perPage - 1) / p.perPage
	if last < 1 {
		last = 1
	}
	u := func(pg int) string {
		return c.pageURL(url.Values{"page": {strconv.Itoa(pg)}, "per_page": {strconv.Itoa(p.perPage)}})
	}
	var wp wirePages
	if p.page > 1 {
		wp.First, wp.Prev = u(1), u(min(p.page-1, last))
	}
	if p.page < last {
		wp.Next, wp.Last = u(p.page+1), u(last)
	}
	if wp == (wirePages{}) {
		return &wireLinks{}
	}
	return &wireLinks{Pages: &wp}
}

func (c *call) pageURL(q url.Values) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: c.r.Host, Path: c.r.URL.Path, RawPath: c.r.URL.RawPath, RawQuery: q.Encode()}
	return u.String()
}
