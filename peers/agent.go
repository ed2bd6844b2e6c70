package peers

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	wsx "github.com/wsx-go/websocket"
)

// RunAgent plays implementation impl as the client under test against a
// fuzzingserver at base (such as "ws://127.0.0.1:9001"): it asks for the
// case count, echoes every message of every case, and asks for the reports
// to be written.
func RunAgent(ctx context.Context, impl, base, agent string) error {
	echo, ok := agentEchoes[impl]
	if !ok {
		return fmt.Errorf("no agent for %q", impl)
	}
	count, err := caseCount(ctx, base+"/getCaseCount")
	if err != nil {
		return fmt.Errorf("case count: %w", err)
	}
	for i := 1; i <= count; i++ {
		u := fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, url.QueryEscape(agent))
		caseCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		echo(caseCtx, u) // a case's connection ends however the case makes it end
		cancel()
	}
	c, err := wsx.Dial(ctx, base+"/updateReports?agent="+url.QueryEscape(agent), nil)
	if err != nil {
		return err
	}
	c.Read(ctx)
	c.Abort()
	return nil
}

func caseCount(ctx context.Context, u string) (int, error) {
	c, err := wsx.Dial(ctx, u, nil)
	if err != nil {
		return 0, err
	}
	defer c.Abort()
	_, msg, err := c.Read(ctx)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(msg))
}

// agentEchoes connect to a case URL and echo until the connection ends.
var agentEchoes = map[string]func(ctx context.Context, u string){
	"wsx": func(ctx context.Context, u string) {
		c, err := wsx.Dial(ctx, u, &wsx.DialOptions{Options: wsx.Options{MaxMessageSize: maxMessage}})
		if err != nil {
			return
		}
		defer c.Abort()
		var buf []byte
		for {
			typ, msg, err := c.ReadInto(ctx, buf)
			if err != nil {
				return
			}
			if c.Write(ctx, typ, msg) != nil {
				return
			}
			buf = msg
		}
	},
	"gorilla": func(ctx context.Context, u string) {
		c, _, err := gorilla.DefaultDialer.DialContext(ctx, u, nil)
		if err != nil {
			return
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		gorillaEchoLoop(c)
	},
	"coder": func(ctx context.Context, u string) {
		c, _, err := coder.Dial(ctx, u, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		coderEchoLoop(ctx, c)
	},
}
