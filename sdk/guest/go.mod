module github.com/verdictlab/verdict/sdk/guest

go 1.24
