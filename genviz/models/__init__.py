"""nn.Modules only: autoencoders, GANs, the classifier and their shared bodies."""
