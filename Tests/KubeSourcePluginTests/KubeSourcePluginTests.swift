// KubeSourcePluginTests: placeholder until the plugin lands.
