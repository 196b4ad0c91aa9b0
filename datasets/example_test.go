package datasets_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/verdictlab/verdict/datasets"
)

func ExampleRead() {
	input := "id,radius,texture,target\n" +
		"p1,17.99,10.38,0\n" +
		"p2,20.57,NA,1\n"
	d, err := datasets.Read(strings.NewReader(input), "held-out.csv", datasets.CSV, datasets.Schema{
		ID:    "id",
		Label: "target",
		Kind:  datasets.BinaryLabel,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Release()
	fmt.Println("rows:", d.Rows(), "ids:", d.IDs)
	fmt.Println("guest sees:", d.FeatureNames)
	for j, name := range d.FeatureNames {
		fmt.Println(name, d.Column(j))
	}
	fmt.Println("host keeps:", d.Labels, "classes:", d.NumClasses)
	// Output:
	// rows: 2 ids: [p1 p2]
	// guest sees: [radius texture]
	// radius [17.99 20.57]
	// texture [10.38 NaN]
	// host keeps: [0 1] classes: 2
}

func ExampleParseError() {
	input := "id,radius,target\n" +
		"p1,17.99,0\n" +
		"p2,20.57,yes\n"
	_, err := datasets.Read(strings.NewReader(input), "held-out.csv", datasets.CSV, datasets.Schema{
		ID:    "id",
		Label: "target",
		Kind:  datasets.BinaryLabel,
	})
	fmt.Println(err)
	var pe *datasets.ParseError
	if errors.As(err, &pe) && errors.Is(err, datasets.ErrBadLabel) {
		fmt.Println("row", pe.Row, "column", pe.Column)
	}
	// Output:
	// held-out.csv: row 2 (line 3), column "target": datasets: bad label: "yes" is not a number
	// row 2 column target
}
