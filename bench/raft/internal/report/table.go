package report

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Table accumulates cells and prints them aligned.
type Table struct {
	cells []Cell
}

// Add appends a cell.
func (t *Table) Add(c Cell) { t.cells = append(t.cells, c) }

// Write prints the table to w.
func (t *Table) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\tmode\tconc\tops\tseconds\tmsgs/s\tMB/s\tp50 µs\tp99 µs\tmax µs\treplicas\t")
	for _, c := range t.cells {
		agree := "OK"
		if !c.ReplicasConsistent {
			agree = "MISMATCH"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.2f\t%.0f\t%.2f\t%.0f\t%.0f\t%.0f\t%s\t\n",
			c.Size, c.Mode, c.Concurrency, c.Ops, c.Seconds, c.MsgsPerSec, c.MBPerSec,
			c.P50US, c.P99US, c.MaxUS, agree)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: write table: %w", err)
	}
	return nil
}
