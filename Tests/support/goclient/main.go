// goclient is the AWS SDK for Go v2 as a consumer of credential_process in the end-to-end tests: it loads the
// shared config for a profile, as Terraform's AWS provider does, and calls STS GetCallerIdentity.
//
//	goclient --profile NAME --endpoint-url URL
//
// It prints the caller's ARN on stdout, or the SDK's error on stderr with exit status 1. The SDK runs the
// profile's credential_process through `sh -c` with a one-minute limit and hands the process's stderr through.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	profile := flag.String("profile", "", "the shared config profile to load")
	endpoint := flag.String("endpoint-url", "", "the STS endpoint to call instead of AWS's")
	flag.Parse()
	if *profile == "" || *endpoint == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: goclient --profile NAME --endpoint-url URL")
		os.Exit(64)
	}

	// SDK 1.17 has no BaseEndpoint option and does not read AWS_ENDPOINT_URL: a resolver is the way to reach a
	// local STS.
	resolver := aws.EndpointResolverWithOptionsFunc(
		func(service, region string, options ...interface{}) (aws.Endpoint, error) {
			return aws.Endpoint{URL: *endpoint, SigningRegion: region, Source: aws.EndpointSourceCustom}, nil
		})
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(*profile),
		config.WithEndpointResolverWithOptions(resolver))
	if err != nil {
		fmt.Fprintf(os.Stderr, "goclient: %v\n", err)
		os.Exit(1)
	}
	identity, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "goclient: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(aws.ToString(identity.Arn))
}
