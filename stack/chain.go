package stack

import "github.com/maestro-go/maestro/stack/wire"

// chain is the column of layer instances serving one view. Index 0 is the
// top layer; events leaving the bottom go to the network, events leaving the
// top go to the application.
type chain struct {
	core   *Core
	view   *View
	layers []Layer
	packs  map[int]*pack // pending datagrams by destination rank (AllPeers = everyone)
	order  []int         // destinations in the order their packs were started
	header []byte        // envelope shared by every datagram of this view
	others []string      // the other members' addresses, for multicasts
}

func newChain(c *Core, v *View, viewMsg []byte, viewAnn Annotations) *chain {
	ch := &chain{core: c, view: v, packs: make(map[int]*pack), header: viewPacketHeader(c.gh, v.Hash, v.Rank)}
	for i, m := range v.Members {
		if i != v.Rank {
			ch.others = append(ch.others, m.Addr)
		}
	}
	ch.layers = make([]Layer, len(c.opt.Protocols))
	for i, p := range c.opt.Protocols {
		i := i
		env := &Env{
			View: v, ViewMsg: viewMsg, ViewAnn: viewAnn, Me: c.opt.Me, Config: &c.cfg, Metrics: c.metrics,
			Log: c.log.With("layer", p.Name()), Group: c.opt.Group, now: c.clock, rand: c.rand,
		}
		env.down = func(ev *Event) { ch.down(i, ev) }
		env.up = func(ev *Event) { ch.up(i, ev) }
		ch.layers[i] = p.NewLayer(env)
	}
	return ch
}

// down hands ev to the layer below index from (-1 = from the application).
func (ch *chain) down(from int, ev *Event) {
	if next := from + 1; next < len(ch.layers) {
		ch.layers[next].Down(ev)
		return
	}
	ch.bottom(ev)
}

// up hands ev to the layer above index from (len(layers) = from the network).
func (ch *chain) up(from int, ev *Event) {
	if next := from - 1; next >= 0 {
		ch.layers[next].Up(ev)
		return
	}
	ch.core.topUp(ch, ev)
}

// bottom turns events leaving the lowest layer into datagrams.
func (ch *chain) bottom(ev *Event) {
	c := ch.core
	switch ev.Type {
	case ECast, ESend, ECtrl:
		if ev.Msg == nil || ev.Peer == ch.view.Rank {
			return
		}
		if ev.Peer != AllPeers && (ev.Peer < 0 || ev.Peer >= ch.view.N()) {
			c.metrics.Drop("bad-destination")
			return
		}
		if ev.Peer == AllPeers && ch.view.N() == 1 {
			return
		}
		ch.queue(ev.Peer, ev.Msg.Bytes())
	case EGlobal:
		pkt := c.seal(globalPacket(c.gh, c.opt.Me, ev.Target, ev.Bytes), ev.Addr)
		c.metrics.PacketsSent.Add(1)
		c.metrics.BytesSent.Add(uint64(len(pkt)))
		if ev.Addr == "" {
			c.opt.Out.Broadcast(pkt)
		} else {
			c.opt.Out.SendTo(ev.Addr, pkt)
		}
	}
}

// pack is a datagram being filled with messages for one destination.
type pack struct {
	w wire.Writer
	n int
}

// queue adds a message to the datagram for dest, sending the datagram first
// if the message would not fit.
func (ch *chain) queue(dest int, m []byte) {
	limit := ch.core.cfg.MaxPacket
	need := len(m) + 5
	limit -= crcLen
	if len(ch.header)+need > limit {
		ch.core.metrics.Drop("oversize")
		return
	}
	p := ch.packs[dest]
	if p != nil && len(p.w.B)+need > limit {
		ch.send(dest, p)
		p = nil
	}
	if p == nil {
		buf := reusePackBuf(len(ch.header) + need)
		if buf == nil {
			buf = make([]byte, 0, min(limit, len(ch.header)+need+256))
		}
		p = &pack{w: wire.Writer{B: buf}}
		p.w.Raw(ch.header)
		ch.packs[dest] = p
		ch.order = append(ch.order, dest)
	}
	p.w.Bytes(m)
	p.n++
}

// flushPacks sends every pending datagram.
func (ch *chain) flushPacks() {
	for _, dest := range ch.order {
		if p := ch.packs[dest]; p != nil {
			ch.send(dest, p)
		}
	}
	ch.order = ch.order[:0]
}

func (ch *chain) send(dest int, p *pack) {
	delete(ch.packs, dest)
	c := ch.core
	to := ""
	if dest != AllPeers {
		to = ch.view.Members[dest].Addr
	}
	pkt := c.seal(sealPacket(p.w.B), to)
	c.metrics.PacketsSent.Add(1)
	c.metrics.BytesSent.Add(uint64(len(pkt)))
	if dest != AllPeers {
		c.opt.Out.SendTo(ch.view.Members[dest].Addr, pkt)
		return
	}
	c.opt.Out.Multicast(ch.others, pkt)
}

// seal passes a complete datagram for to ("" for several members)
// through the Guard, if any.
func (c *Core) seal(pkt []byte, to string) []byte {
	if g := c.opt.Guard; g != nil {
		return g.Seal(pkt, to)
	}
	return pkt
}
