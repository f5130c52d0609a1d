module hoist-test-apiserver

go 1.19
