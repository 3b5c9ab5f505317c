package conformance

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kafkaclient/kafkaclient"
)

var asCases = []Case{
	{
		Name: "as/targets",
		Doc:  "As with a target of an unrelated type is false, without panic, on a producer, a consumer (before and after Subscribe) and an admin; the backend's documented targets are reached (Harness.As).",
		Run: func(t *testing.T, e *Env) {
			topic := e.Topic(t, 1)
			p := e.Producer(t, nil)
			c := e.Consumer(t, e.Group(t), nil)
			a := e.Admin(t)
			unrelated := func(t *testing.T, client string, as func(any) bool) {
				t.Helper()
				for _, target := range []any{new(*int), new(int), new(*struct{}), new(*kafkaclient.Producer)} {
					var ok bool
					require.NotPanics(t, func() { ok = as(target) }, "%s.As(%T)", client, target)
					require.False(t, ok, "%s.As(%T)", client, target)
				}
			}
			unrelated(t, "Producer", p.As)
			unrelated(t, "Consumer", c.As)
			require.NoError(t, c.Subscribe(Ctx(t), []string{topic}, nil))
			unrelated(t, "Consumer", c.As)
			unrelated(t, "Admin", a.As)
			if e.as == nil {
				t.Log("Harness.As is unset: the backend's own targets are not checked")
				return
			}
			e.as(t, p, c, a)
		},
	},
}
