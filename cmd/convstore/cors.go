package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func corsCommand() *command {
	return group("cors", "Set the web origins the tenant allows to call the vendor doors from a browser (CORS).",
		&leaf{name: "show", summary: "Show the tenant's allowed origins.", run: corsShow},
		&leaf{name: "set", summary: "Replace the tenant's allowed origins (needs an admin key).",
			help: "Replace the tenant's allowed origins with --origins (comma-separated; empty allows none). " +
				"A browser integration of the Inkeep door calling from one of them gets Access-Control-Allow-Origin.",
			flags: corsSet},
	)
}

func printOrigins(x *call, origins []string) error {
	return x.print(api.CORS{Object: api.ObjectCORS, AllowedOrigins: origins}, func(w io.Writer) error {
		if len(origins) == 0 {
			_, err := fmt.Fprintln(w, "no origin allowed")
			return err
		}
		_, err := fmt.Fprintln(w, strings.Join(origins, "\n"))
		return err
	})
}

func corsShow(x *call, c *client.Client) error {
	origins, err := c.FindCORSOrigins(x.ctx, convstore.ID{})
	if err != nil {
		return err
	}
	return printOrigins(x, origins)
}

func corsSet(fs *flagSet) func(x *call) (clientCall, error) {
	var list string
	fs.StringVar(&list, "origins", "", "the allowed `origins`, comma-separated, such as https://app.example.com,http://localhost:3000 (empty: none)")
	return func(x *call) (clientCall, error) {
		origins := []string{}
		for _, o := range strings.Split(list, ",") {
			if o = strings.TrimSpace(o); o != "" {
				origins = append(origins, o)
			}
		}
		if _, err := convstore.NormalizeOrigins(origins); err != nil {
			return nil, usageErrorf(fs, "--origins: %s", convstore.ErrorMessage(err))
		}
		return func(x *call, c *client.Client) error {
			got, err := c.SetCORSOrigins(x.ctx, convstore.ID{}, origins, convstore.DeleteParams{})
			if err != nil {
				return err
			}
			return printOrigins(x, got)
		}, nil
	}
}
